import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * CLIENT_ACKNOWLEDGE session with Session.recover() twice: the second recover finds messages
 * with redeliveryCounter > 0, so the client sends a REDELIVERED ack; then acknowledge().
 */
public class SessionRecover {
    public static void main(String[] args) {
        Cap.main("SessionRecover", args, () -> {
            ActiveMQConnectionFactory f = Cap.factory();
            Cap.fastRedelivery(f, 6);
            Connection c = f.createConnection();
            c.start();
            Session s = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            Queue q = s.createQueue(Cap.name("recover"));
            MessageProducer p = s.createProducer(q);
            p.send(s.createTextMessage("r-1"));
            p.send(s.createTextMessage("r-2"));
            MessageConsumer mc = s.createConsumer(q);
            for (int round = 0; round < 3; round++) {
                Message m1 = Cap.recv(mc, "r-1 round " + round);
                Cap.eq("r-1", ((TextMessage) m1).getText(), "r-1");
                Cap.eq(round > 0, m1.getJMSRedelivered(), "redelivered flag round " + round);
                Cap.expectText(mc, "r-2");
                if (round < 2) s.recover();
                else m1.acknowledge();
            }
            Cap.expectNone(mc, 300, "after acknowledge");
            c.close();
        });
    }
}
