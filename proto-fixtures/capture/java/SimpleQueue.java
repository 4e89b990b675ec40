import javax.jms.*;

/** Handshake + one queue send/receive (the encoding matrix scenario). */
public class SimpleQueue {
    public static void main(String[] args) {
        Cap.main("SimpleQueue", args, () -> {
            Connection c = Cap.factory().createConnection();
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue(Cap.name("simple"));
            MessageConsumer consumer = s.createConsumer(q);
            MessageProducer p = s.createProducer(q);
            p.send(s.createTextMessage("hello ferrum"));
            Cap.expectText(consumer, "hello ferrum");
            c.close();
        });
    }
}
