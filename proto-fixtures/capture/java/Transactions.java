import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/** Local (transacted-session) transactions: commit, rollback, redelivery after a consumer rollback. */
public class Transactions {
    public static void main(String[] args) {
        Cap.main("Transactions", args, () -> {
            ActiveMQConnectionFactory f = Cap.factory();
            Cap.fastRedelivery(f, 6);
            Connection c = f.createConnection();
            c.start();
            Session tx = c.createSession(true, Session.SESSION_TRANSACTED);
            Queue q = tx.createQueue(Cap.name("tx"));
            MessageProducer p = tx.createProducer(q);
            // producer: two sends committed, one rolled back
            p.send(tx.createTextMessage("tx-1"));
            p.send(tx.createTextMessage("tx-2"));
            tx.commit();
            p.send(tx.createTextMessage("tx-rolled-back"));
            tx.rollback();

            // consumer: receive, rollback (redelivery), receive again, commit
            MessageConsumer mc = tx.createConsumer(q);
            Message a = Cap.recv(mc, "tx-1 first delivery");
            Cap.eq("tx-1", ((TextMessage) a).getText(), "first");
            Cap.eq(false, a.getJMSRedelivered(), "first not redelivered");
            Cap.expectText(mc, "tx-2");
            tx.rollback();
            Message a2 = Cap.recv(mc, "tx-1 redelivery");
            Cap.eq("tx-1", ((TextMessage) a2).getText(), "redelivered");
            Cap.eq(true, a2.getJMSRedelivered(), "redelivered flag");
            Cap.expectText(mc, "tx-2");
            tx.commit();
            Cap.expectNone(mc, 300, "rolled-back send must not arrive");
            tx.commit();
            mc.close();

            // a consumer with prefetch 4 receiving 8 messages in one transaction: the client
            // sends DELIVERED acks every prefetch/2 messages to reopen the window, then the
            // commit acknowledges everything with a STANDARD ack
            Queue bq = tx.createQueue(Cap.name("tx.batch"));
            MessageProducer bp = tx.createProducer(bq);
            for (int i = 0; i < 8; i++) bp.send(tx.createTextMessage("batch-" + i));
            tx.commit();
            MessageConsumer bc = tx.createConsumer(tx.createQueue(bq.getQueueName() + "?consumer.prefetchSize=4"));
            for (int i = 0; i < 8; i++) Cap.expectText(bc, "batch-" + i);
            tx.commit();
            c.close();
        });
    }
}
