import javax.jms.*;

/**
 * Run with jms.producerWindowSize=1024&jms.useAsyncSend=true: 20 persistent 600-byte messages
 * sent asynchronously; the broker returns a ProducerAck for each (producer window accounting).
 */
public class AsyncSendWindow {
    public static void main(String[] args) {
        Cap.main("AsyncSendWindow", args, () -> {
            Connection c = Cap.factory().createConnection();
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue(Cap.name("window"));
            MessageProducer p = s.createProducer(q);
            p.setDeliveryMode(DeliveryMode.PERSISTENT);
            StringBuilder pad = new StringBuilder();
            while (pad.length() < 600) pad.append('w');
            for (int i = 0; i < 20; i++) p.send(s.createTextMessage(String.format("%02d:", i) + pad));
            MessageConsumer mc = s.createConsumer(q);
            for (int i = 0; i < 20; i++) {
                String t = Cap.text(mc, "window message " + i);
                Cap.check(t.startsWith(String.format("%02d:", i)), "order " + i);
            }
            c.close();
        });
    }
}
