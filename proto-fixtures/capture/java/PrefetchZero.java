import javax.jms.*;

/**
 * Run with jms.prefetchPolicy.all=0: every receive is a MessagePull. receive(timeout),
 * receiveNoWait() and receive() on a queue with messages, and receive(timeout) on an empty
 * queue (the broker answers the pull with an empty MessageDispatch).
 */
public class PrefetchZero {
    public static void main(String[] args) {
        Cap.main("PrefetchZero", args, () -> {
            Connection c = Cap.factory().createConnection();
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue(Cap.name("pull"));
            MessageProducer p = s.createProducer(q);
            for (int i = 1; i <= 3; i++) p.send(s.createTextMessage("pull-" + i));
            MessageConsumer mc = s.createConsumer(q);
            Cap.eq("pull-1", ((TextMessage) mc.receive(5000)).getText(), "receive(timeout)");
            Message m2 = null;
            for (int i = 0; i < 50 && m2 == null; i++) { m2 = mc.receiveNoWait(); if (m2 == null) Cap.sleep(50); }
            Cap.check(m2 != null, "receiveNoWait got a message");
            Cap.eq("pull-2", ((TextMessage) m2).getText(), "receiveNoWait");
            Cap.eq("pull-3", ((TextMessage) mc.receive()).getText(), "receive()");
            Cap.expectNone(mc, 500, "empty queue pull");
            c.close();
        });
    }
}
