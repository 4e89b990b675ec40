import javax.jms.*;

/**
 * Drives traffic across a network bridge A -> B (the bridge connection itself is what the
 * proxy records). Args: URL_A URL_B [TAG]. Consumer on B, producer on A; a queue (3
 * persistent messages) and a topic (published until the topic demand has crossed the bridge).
 * If TAG contains "duplex", also a queue in the opposite direction (consumer on A, producer on B).
 */
public class NetworkBridge {
    public static void main(String[] args) {
        if (args.length < 2) { System.err.println("usage: NetworkBridge URL_A URL_B [TAG]"); System.exit(64); }
        String urlA = args[0];
        String[] rest = args.length > 2 ? new String[] {args[1], args[2]} : new String[] {args[1]};
        Cap.main("NetworkBridge", rest, () -> {
            Connection b = Cap.factory(Cap.URL).createConnection();
            b.start();
            Connection a = Cap.factory(urlA).createConnection();
            a.start();
            Session sb = b.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Session sa = a.createSession(false, Session.AUTO_ACKNOWLEDGE);

            Queue q = sb.createQueue(Cap.name("bridge.queue"));
            MessageConsumer qc = sb.createConsumer(q);
            MessageProducer qp = sa.createProducer(sa.createQueue(q.getQueueName()));
            for (int i = 1; i <= 3; i++) {
                TextMessage m = sa.createTextMessage("bridged-" + i);
                m.setStringProperty("origin", "broker-A");
                qp.send(m, DeliveryMode.PERSISTENT, 4, 0);
            }
            for (int i = 1; i <= 3; i++) {
                Message m = Cap.recv(qc, 30000, "bridged queue message " + i);
                Cap.eq("bridged-" + i, ((TextMessage) m).getText(), "bridged text");
            }

            Topic t = sb.createTopic(Cap.name("bridge.topic"));
            MessageConsumer tc = sb.createConsumer(t);
            MessageProducer tp = sa.createProducer(sa.createTopic(t.getTopicName()));
            Message got = null;
            for (int i = 0; i < 40 && got == null; i++) {
                tp.send(sa.createTextMessage("topic-" + i), DeliveryMode.NON_PERSISTENT, 4, 0);
                got = tc.receive(500);
            }
            Cap.check(got != null, "a topic message crossed the bridge");
            System.out.println("topic message crossed: " + ((TextMessage) got).getText());

            if (Cap.TAG.contains("duplex")) {
                // duplex bridge: the same connection also carries B -> A traffic
                Queue rq = sa.createQueue(Cap.name("bridge.reverse"));
                MessageConsumer rc = sa.createConsumer(rq);
                MessageProducer rp = sb.createProducer(sb.createQueue(rq.getQueueName()));
                for (int i = 1; i <= 2; i++) rp.send(sb.createTextMessage("reverse-" + i), DeliveryMode.PERSISTENT, 4, 0);
                for (int i = 1; i <= 2; i++) {
                    Message m = Cap.recv(rc, 30000, "reverse message " + i);
                    Cap.eq("reverse-" + i, ((TextMessage) m).getText(), "reverse text");
                }
            }
            a.close();
            b.close();
        });
    }
}
