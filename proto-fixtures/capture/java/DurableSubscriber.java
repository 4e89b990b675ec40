import javax.jms.*;

/**
 * Durable topic subscription over three connections:
 *   1: clientID + createDurableSubscriber, then close (subscription goes offline)
 *   2: publish (persistent and non-persistent) while the subscriber is offline
 *   3: same clientID reconnects, receives the backlog, closes the subscriber, unsubscribes
 *      (RemoveSubscriptionInfo)
 */
public class DurableSubscriber {
    public static void main(String[] args) {
        Cap.main("DurableSubscriber", args, () -> {
            String clientId = Cap.name("durable-client");
            String topicName = Cap.name("durable.topic");

            Connection c1 = Cap.factory().createConnection();
            c1.setClientID(clientId);
            c1.start();
            Session s1 = c1.createSession(false, Session.AUTO_ACKNOWLEDGE);
            TopicSubscriber sub = s1.createDurableSubscriber(s1.createTopic(topicName), "sub-1");
            sub.close();
            c1.close();

            Connection c2 = Cap.factory().createConnection();
            c2.start();
            Session s2 = c2.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer p = s2.createProducer(s2.createTopic(topicName));
            p.send(s2.createTextMessage("offline-1 persistent"), DeliveryMode.PERSISTENT, 4, 0);
            p.send(s2.createTextMessage("offline-2 non-persistent"), DeliveryMode.NON_PERSISTENT, 4, 0);
            p.send(s2.createTextMessage("offline-3 persistent"), DeliveryMode.PERSISTENT, 4, 0);
            c2.close();

            Connection c3 = Cap.factory().createConnection();
            c3.setClientID(clientId);
            c3.start();
            Session s3 = c3.createSession(false, Session.AUTO_ACKNOWLEDGE);
            TopicSubscriber sub3 = s3.createDurableSubscriber(s3.createTopic(topicName), "sub-1");
            // the broker's durable cursor may hand out the non-persistent message out of order
            java.util.Set<String> got = new java.util.TreeSet<>();
            for (int i = 0; i < 3; i++) got.add(Cap.text(sub3, "offline message " + (i + 1)));
            Cap.eq(new java.util.TreeSet<>(java.util.Arrays.asList(
                "offline-1 persistent", "offline-2 non-persistent", "offline-3 persistent")), got, "durable backlog");
            sub3.close();
            s3.unsubscribe("sub-1");
            c3.close();
        });
    }
}
