import javax.jms.*;
import org.apache.activemq.command.ActiveMQQueue;

/**
 * Producers and consumers on queues and topics: non-persistent and persistent sends, priority,
 * timeToLive (expiration), correlation id, JMSType, reply-to (queue and topic), JMSXGroupID,
 * a selector, an anonymous producer, a wildcard topic subscription, a composite destination,
 * and a message that expires in the consumer's prefetch buffer (client sends an EXPIRED ack).
 */
public class ProducersConsumers {
    public static void main(String[] args) {
        Cap.main("ProducersConsumers", args, () -> {
            Connection c = Cap.factory().createConnection();
            c.setClientID(Cap.name("pc-client"));
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);

            // --- queue: headers of every kind -------------------------------------------------
            Queue q = s.createQueue(Cap.name("pc.queue"));
            Queue replyQ = s.createQueue(Cap.name("pc.reply"));
            Topic replyT = s.createTopic(Cap.name("pc.reply.topic"));
            MessageProducer qp = s.createProducer(q);
            MessageConsumer qc = s.createConsumer(q);

            qp.setDeliveryMode(DeliveryMode.NON_PERSISTENT);
            qp.send(s.createTextMessage("q non-persistent"));

            TextMessage m = s.createTextMessage("q persistent prio 9 ttl 60s");
            m.setJMSCorrelationID("corr-0001");
            m.setJMSType("ferrum.type.A");
            m.setJMSReplyTo(replyQ);
            m.setStringProperty("JMSXGroupID", "group-1");
            m.setIntProperty("JMSXGroupSeq", 1);
            qp.send(m, DeliveryMode.PERSISTENT, 9, 60000);

            TextMessage m2 = s.createTextMessage("q persistent prio 0, reply-to topic");
            m2.setJMSReplyTo(replyT);
            m2.setJMSCorrelationID("corr-0002");
            qp.send(m2, DeliveryMode.PERSISTENT, 0, 0);

            Message r1 = Cap.recv(qc, "q1");
            Cap.eq("q non-persistent", ((TextMessage) r1).getText(), "q1 text");
            Cap.eq(DeliveryMode.NON_PERSISTENT, r1.getJMSDeliveryMode(), "q1 delivery mode");
            Message r2 = Cap.recv(qc, "q2");
            Cap.eq("corr-0001", r2.getJMSCorrelationID(), "correlation id");
            Cap.eq("ferrum.type.A", r2.getJMSType(), "JMSType");
            Cap.eq(replyQ, r2.getJMSReplyTo(), "reply-to");
            Cap.eq(9, r2.getJMSPriority(), "priority");
            Cap.check(r2.getJMSExpiration() > 0, "expiration set");
            Cap.eq("group-1", r2.getStringProperty("JMSXGroupID"), "group id");
            Message r3 = Cap.recv(qc, "q3");
            Cap.eq(replyT, r3.getJMSReplyTo(), "reply-to topic");
            Cap.eq(0L, r3.getJMSExpiration(), "no expiration");

            // --- queue with a selector ----------------------------------------------------------
            Queue sq = s.createQueue(Cap.name("pc.selector"));
            MessageConsumer sc = s.createConsumer(sq, "color = 'red' AND weight > 10");
            MessageProducer sp = s.createProducer(sq);
            TextMessage blue = s.createTextMessage("blue");
            blue.setStringProperty("color", "blue");
            blue.setIntProperty("weight", 50);
            sp.send(blue);
            TextMessage red = s.createTextMessage("red");
            red.setStringProperty("color", "red");
            red.setIntProperty("weight", 50);
            sp.send(red);
            Cap.expectText(sc, "red");
            sc.close();
            MessageConsumer drain = s.createConsumer(sq);
            Cap.expectText(drain, "blue");
            drain.close();

            // --- anonymous producer + composite destination -------------------------------------
            MessageProducer anon = s.createProducer(null);
            Queue composite = new ActiveMQQueue(Cap.name("pc.c1") + "," + Cap.name("pc.c2"));
            anon.send(composite, s.createTextMessage("to two queues"));
            anon.send(q, s.createTextMessage("anonymous to queue"), DeliveryMode.NON_PERSISTENT, 4, 0);
            Cap.expectText(qc, "anonymous to queue");
            MessageConsumer c1 = s.createConsumer(s.createQueue(Cap.name("pc.c1")));
            MessageConsumer c2 = s.createConsumer(s.createQueue(Cap.name("pc.c2")));
            Cap.expectText(c1, "to two queues");
            Cap.expectText(c2, "to two queues");

            // --- topics: plain, selector, wildcard, noLocal subscribers --------------------------
            Topic t = s.createTopic(Cap.name("pc.topic"));
            MessageConsumer tAll = s.createConsumer(t);
            MessageConsumer tSel = s.createConsumer(t, "JMSPriority > 5");
            MessageConsumer tWild = s.createConsumer(s.createTopic("ferrum.pc.>"));
            Session s2 = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer tNoLocal = s2.createConsumer(t, null, true);
            MessageProducer tp = s.createProducer(t);
            tp.send(s.createTextMessage("t non-persistent low"), DeliveryMode.NON_PERSISTENT, 1, 0);
            tp.send(s.createTextMessage("t persistent high"), DeliveryMode.PERSISTENT, 8, 30000);
            Cap.expectText(tAll, "t non-persistent low");
            Cap.expectText(tAll, "t persistent high");
            Cap.expectText(tSel, "t persistent high");
            Cap.expectText(tWild, "t non-persistent low");
            Cap.expectText(tWild, "t persistent high");
            Cap.expectNone(tNoLocal, 300, "noLocal subscriber must not see own messages");

            // --- expiry in the prefetch buffer -> EXPIRED ack --------------------------------------
            Queue eq = s.createQueue(Cap.name("pc.expire"));
            MessageConsumer ec = s.createConsumer(eq);
            MessageProducer ep = s.createProducer(eq);
            ep.send(s.createTextMessage("expires in 300ms"), DeliveryMode.NON_PERSISTENT, 4, 300);
            Cap.sleep(900);
            ep.send(s.createTextMessage("after expiry"));
            Cap.expectText(ec, "after expiry");

            c.close();
        });
    }
}
