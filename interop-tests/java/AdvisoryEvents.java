import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.command.ActiveMQMessage;
import org.apache.activemq.command.ConsumerInfo;

/**
 * The advisories ActiveMQ publishes about messages: expired, sent to the
 * DLQ, slow consumer, and (when a destination's policy asks) delivered and
 * consumed (test_advisories.py). Arguments: broker URL, a queue name prefix
 * whose destinations have advisoryForDelivery/advisoryForConsumed on.
 */
public class AdvisoryEvents {
  static String describe(Message m) throws JMSException {
    if (m == null) return "none";
    ActiveMQMessage a = (ActiveMQMessage) m;
    Object data = a.getDataStructure();
    String what = data == null ? "null" : data.getClass().getSimpleName();
    String subject = "";
    if (data instanceof ActiveMQMessage) {
      ActiveMQMessage orig = (ActiveMQMessage) data;
      subject = " subjectId=" + orig.getJMSMessageID() + " subjectDest=" + orig.getDestination().getQualifiedName();
    }
    if (data instanceof ConsumerInfo) {
      String cid = String.valueOf(((ConsumerInfo) data).getConsumerId());
      subject = " consumer=" + cid + " sameId=" + cid.equals(a.getStringProperty("consumerId"));
    }
    return "type=" + a.getJMSType() + " data=" + what
        + " orignalMessageId=" + a.getStringProperty("orignalMessageId")
        + " orignalDestination=" + a.getStringProperty("orignalDestination")
        + " consumerId=" + a.getStringProperty("consumerId")
        + " hasOriginBroker=" + (a.getStringProperty("originBrokerName") != null)
        + subject;
  }

  public static void main(String[] a) throws Exception {
    Connection c = new ActiveMQConnectionFactory(a[0]).createConnection();
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    String n = a[1];

    // Expiry: the advisory, and the DLQ advisory (persistent expired messages go there).
    Queue exp = s.createQueue(n + ".exp");
    MessageConsumer expAdv = s.createConsumer(s.createTopic("ActiveMQ.Advisory.Expired.Queue." + n + ".exp"));
    MessageConsumer dlqAdv = s.createConsumer(s.createTopic("ActiveMQ.Advisory.MessageDLQd.Queue." + n + ".exp"));
    MessageProducer ep = s.createProducer(exp);
    ep.setTimeToLive(100);
    ep.setDeliveryMode(DeliveryMode.PERSISTENT);
    TextMessage em = s.createTextMessage("expiring");
    ep.send(em);
    String sentId = em.getJMSMessageID();
    Thread.sleep(400);
    MessageConsumer expConsumer = s.createConsumer(exp);
    System.out.println("expired got " + (expConsumer.receive(500) == null ? "nothing" : "message"));
    System.out.println("expired advisory " + describe(expAdv.receive(2000)).replace(sentId, "SENT").replace(n + ".", "N."));
    System.out.println("dlq advisory " + describe(dlqAdv.receive(2000)).replace(sentId, "SENT").replace(n + ".", "N."));

    // Slow consumer: prefetch 1, never acknowledges, while more messages wait.
    Queue slow = s.createQueue(n + ".slow?consumer.prefetchSize=1");
    MessageConsumer slowAdv = s.createConsumer(s.createTopic("ActiveMQ.Advisory.SlowConsumer.Queue." + n + ".slow"));
    Session cs = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
    MessageConsumer lazy = cs.createConsumer(slow);
    MessageProducer sp = s.createProducer(s.createQueue(n + ".slow"));
    for (int i = 0; i < 3; i++) sp.send(s.createTextMessage("s" + i));
    System.out.println("slow queue advisory " + (slowAdv.receive(2000) == null ? "none" : "received"));

    Topic slowT = s.createTopic(n + ".slowt?consumer.prefetchSize=2");
    MessageConsumer slowTAdv = s.createConsumer(s.createTopic("ActiveMQ.Advisory.SlowConsumer.Topic." + n + ".slowt"));
    MessageConsumer lazyT = cs.createConsumer(slowT);
    MessageProducer tp = s.createProducer(s.createTopic(n + ".slowt"));
    for (int i = 0; i < 6; i++) tp.send(s.createTextMessage("t" + i));
    System.out.println("slow topic advisory " + describe(slowTAdv.receive(2000)).replaceAll("ID:[^ ]*", "ID"));

    // Delivered (to the broker) and consumed, where the policy asks for them.
    Queue dq = s.createQueue(n + ".adv");
    MessageConsumer delAdv = s.createConsumer(s.createTopic("ActiveMQ.Advisory.MessageDelivered.Queue." + n + ".adv"));
    MessageConsumer conAdv = s.createConsumer(s.createTopic("ActiveMQ.Advisory.MessageConsumed.Queue." + n + ".adv"));
    TextMessage dm = s.createTextMessage("tracked");
    s.createProducer(dq).send(dm);
    String did = dm.getJMSMessageID();
    System.out.println("delivered advisory " + describe(delAdv.receive(2000)).replace(did, "SENT").replace(n + ".", "N."));
    System.out.println("consumed before " + describe(conAdv.receive(300)));
    MessageConsumer dc = s.createConsumer(dq);
    System.out.println("consumed got " + (dc.receive(1000) != null));
    System.out.println("consumed advisory " + describe(conAdv.receive(2000)).replace(did, "SENT").replace(n + ".", "N."));

    // Without the policy: no delivered/consumed advisories.
    Queue plain = s.createQueue(n + "x.plain");
    MessageConsumer pdel = s.createConsumer(s.createTopic("ActiveMQ.Advisory.MessageDelivered.Queue." + n + "x.plain"));
    s.createProducer(plain).send(s.createTextMessage("untracked"));
    System.out.println("unconfigured delivered " + describe(pdel.receive(700)));
    c.close();
    System.out.println("DONE");
  }
}
