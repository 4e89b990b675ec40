import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * maximumRedeliveries=1, transacted consumer rolls back twice: the client sends a POISON ack
 * and the broker moves the (persistent) message to ActiveMQ.DLQ, which is then consumed.
 */
public class PoisonAck {
    public static void main(String[] args) {
        Cap.main("PoisonAck", args, () -> {
            ActiveMQConnectionFactory f = Cap.factory();
            Cap.fastRedelivery(f, 1);
            Connection c = f.createConnection();
            c.start();
            Session s = c.createSession(true, Session.SESSION_TRANSACTED);
            Queue q = s.createQueue(Cap.name("poison"));
            MessageProducer p = s.createProducer(q);
            TextMessage m = s.createTextMessage("poison");
            p.send(m, DeliveryMode.PERSISTENT, 4, 0);
            s.commit();
            String id = m.getJMSMessageID();
            MessageConsumer mc = s.createConsumer(q);
            Cap.expectText(mc, "poison");
            s.rollback();
            Cap.expectText(mc, "poison");
            s.rollback(); // redeliveryCounter 2 > 1 -> POISON ack
            Cap.expectNone(mc, 500, "poisoned message must not come back");
            s.commit();
            mc.close();

            Session a = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer dlq = a.createConsumer(a.createQueue("ActiveMQ.DLQ"), "JMSMessageID = '" + id + "'");
            Message d = Cap.recv(dlq, "message on ActiveMQ.DLQ");
            Cap.eq(id, d.getJMSMessageID(), "DLQ message id");
            Cap.check(d.getStringProperty("dlqDeliveryFailureCause") != null, "dlqDeliveryFailureCause present");
            c.close();
        });
    }
}
