import javax.jms.*;

/**
 * Run with jms.optimizeAcknowledge=true (and a small queue prefetch so the batched acks
 * fire): 40 messages consumed with AUTO_ACKNOWLEDGE, acked in batches.
 */
public class OptimizeAck {
    public static void main(String[] args) {
        Cap.main("OptimizeAck", args, () -> {
            Connection c = Cap.factory().createConnection();
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue(Cap.name("optack"));
            MessageProducer p = s.createProducer(q);
            p.setDeliveryMode(DeliveryMode.NON_PERSISTENT);
            for (int i = 0; i < 40; i++) p.send(s.createTextMessage("opt-" + i));
            MessageConsumer mc = s.createConsumer(q);
            for (int i = 0; i < 40; i++) Cap.expectText(mc, "opt-" + i);
            Cap.sleep(500); // let the optimizeAcknowledgeTimeOut (300 ms) flush the tail
            mc.close();
            c.close();
        });
    }
}
