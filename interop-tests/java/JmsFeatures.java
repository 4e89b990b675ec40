import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import javax.jms.*;
import javax.transaction.xa.*;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQSession;
import org.apache.activemq.ActiveMQXAConnectionFactory;

/** Scenarios of the JMS surface, one per argument: prints what it saw;
 *  the pytest side asserts on it. Every wait is bounded. */
public class JmsFeatures {
  static Connection conn(String url, String clientId) throws JMSException {
    ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(url);
    f.setTrustAllPackages(true);
    Connection c = f.createConnection();
    if (clientId != null) c.setClientID(clientId);
    c.start();
    return c;
  }

  public static void main(String[] a) throws Exception {
    String url = a[1];
    switch (a[0]) {
      case "types": types(url); break;
      case "durable": durable(url); break;
      case "acks": acks(url); break;
      case "xa": xa(url); break;
      case "dupclient": dupClient(url); break;
      case "idle": idle(url); break;
      case "pull": pull(url); break;
      case "async": async(url); break;
      case "poison": poison(url); break;
      case "poison-individual": poison(url, true); break;
      case "expired": expired(url); break;
      case "abrupt-consume": abruptConsume(url, a[2]); break;
      case "abrupt-check": abruptCheck(url, a[2]); break;
      default: throw new IllegalArgumentException(a[0]);
    }
    System.out.println("OK");
    // A connection refused by the broker (dupclient) leaves a transport
    // thread behind in the client; do not wait for it.
    System.exit(0);
  }

  static void types(String url) throws Exception {
    Connection c = conn(url, null);
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue q = s.createQueue("types." + System.nanoTime());
    MessageProducer p = s.createProducer(q);
    List<Message> sent = new ArrayList<>();
    TextMessage t = s.createTextMessage("text é ✓"); sent.add(t);
    BytesMessage b = s.createBytesMessage(); b.writeBytes(new byte[]{0, 1, 2, (byte) 255}); sent.add(b);
    MapMessage m = s.createMapMessage(); m.setInt("i", 1); m.setString("s", "x"); m.setDouble("d", 2.5); m.setBytes("b", new byte[]{9}); sent.add(m);
    StreamMessage st = s.createStreamMessage(); st.writeInt(5); st.writeString("five"); st.writeBoolean(true); sent.add(st);
    ObjectMessage o = s.createObjectMessage(new HashMap<String, Integer>(Collections.singletonMap("k", 42))); sent.add(o);
    Message plain = s.createMessage(); sent.add(plain);
    for (Message x : sent) {
      x.setBooleanProperty("pBool", true); x.setByteProperty("pByte", (byte) 7); x.setShortProperty("pShort", (short) 300);
      x.setIntProperty("pInt", 70000); x.setLongProperty("pLong", 1L << 40); x.setFloatProperty("pFloat", 1.5f);
      x.setDoubleProperty("pDouble", 2.25); x.setStringProperty("pString", "str");
      x.setJMSCorrelationID("corr"); x.setJMSType("kind"); x.setJMSReplyTo(s.createTopic("reply.t"));
      p.send(x, DeliveryMode.PERSISTENT, 8, 600000);
    }
    MessageConsumer mc = s.createConsumer(q);
    for (Message x : sent) {
      Message r = mc.receive(5000);
      if (r == null) throw new RuntimeException("missing " + x.getClass());
      String body;
      if (r instanceof TextMessage) body = ((TextMessage) r).getText();
      else if (r instanceof BytesMessage) { byte[] d = new byte[(int) ((BytesMessage) r).getBodyLength()]; ((BytesMessage) r).readBytes(d); body = Arrays.toString(d); }
      else if (r instanceof MapMessage) { MapMessage mm = (MapMessage) r; body = mm.getInt("i") + "," + mm.getString("s") + "," + mm.getDouble("d") + "," + mm.getBytes("b")[0]; }
      else if (r instanceof StreamMessage) { StreamMessage sm = (StreamMessage) r; body = sm.readInt() + "," + sm.readString() + "," + sm.readBoolean(); }
      else if (r instanceof ObjectMessage) body = String.valueOf(((ObjectMessage) r).getObject());
      else body = "-";
      System.out.println(r.getClass().getSimpleName() + " " + body + " id=" + r.getJMSMessageID().equals(x.getJMSMessageID())
        + " corr=" + r.getJMSCorrelationID() + " type=" + r.getJMSType() + " prio=" + r.getJMSPriority()
        + " mode=" + r.getJMSDeliveryMode() + " exp=" + (r.getJMSExpiration() == x.getJMSExpiration()) + " reply=" + r.getJMSReplyTo()
        + " props=" + r.getBooleanProperty("pBool") + "," + r.getByteProperty("pByte") + "," + r.getShortProperty("pShort") + ","
        + r.getIntProperty("pInt") + "," + r.getLongProperty("pLong") + "," + r.getFloatProperty("pFloat") + ","
        + r.getDoubleProperty("pDouble") + "," + r.getStringProperty("pString"));
    }
    c.close();
  }

  static void durable(String url) throws Exception {
    String topic = "durable." + System.nanoTime();
    Connection c = conn(url, "durable-client");
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Topic t = s.createTopic(topic);
    TopicSubscriber sub = s.createDurableSubscriber(t, "sub1");
    sub.close();
    Connection pc = conn(url, null);
    Session ps = pc.createSession(false, Session.AUTO_ACKNOWLEDGE);
    MessageProducer p = ps.createProducer(ps.createTopic(topic));
    p.send(ps.createTextMessage("while offline 1"));
    p.setDeliveryMode(DeliveryMode.NON_PERSISTENT);
    p.send(ps.createTextMessage("while offline 2"));
    c.close();
    c = conn(url, "durable-client");
    s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    sub = s.createDurableSubscriber(s.createTopic(topic), "sub1");
    for (int i = 0; i < 2; i++) { Message m = sub.receive(5000); System.out.println("durable got " + (m == null ? null : ((TextMessage) m).getText())); }
    sub.close();
    s.unsubscribe("sub1");
    try { s.unsubscribe("sub1"); System.out.println("second unsubscribe accepted"); }
    catch (JMSException e) { System.out.println("second unsubscribe refused " + e.getClass().getSimpleName()); }
    c.close(); pc.close();
  }

  static void acks(String url) throws Exception {
    Connection c = conn(url, null);
    String qn = "acks." + System.nanoTime();
    Session ps = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    MessageProducer p = ps.createProducer(ps.createQueue(qn));
    for (int i = 0; i < 4; i++) p.send(ps.createTextMessage("m" + i));
    // CLIENT: acknowledge() covers everything received so far; recover() redelivers the rest.
    Session cs = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
    MessageConsumer mc = cs.createConsumer(cs.createQueue(qn));
    Message m0 = mc.receive(5000); m0.acknowledge();
    Message m1 = mc.receive(5000);
    cs.recover();
    Message again = mc.receive(5000);
    System.out.println("recover redelivered " + ((TextMessage) again).getText() + " " + again.getJMSRedelivered());
    again.acknowledge();
    mc.close();
    // INDIVIDUAL: ack only the later one; the earlier one comes back on a new consumer.
    Session is = c.createSession(false, ActiveMQSession.INDIVIDUAL_ACKNOWLEDGE);
    MessageConsumer ic = is.createConsumer(is.createQueue(qn));
    Message m2 = ic.receive(5000); Message m3 = ic.receive(5000);
    m3.acknowledge();
    ic.close(); is.close();
    Session ds = c.createSession(false, Session.DUPS_OK_ACKNOWLEDGE);
    MessageConsumer dc = ds.createConsumer(ds.createQueue(qn));
    Message left = dc.receive(5000);
    System.out.println("individual left " + ((TextMessage) left).getText() + " " + left.getJMSRedelivered());
    System.out.println("then " + dc.receive(500));
    c.close();
  }

  static void xa(String url) throws Exception {
    ActiveMQXAConnectionFactory f = new ActiveMQXAConnectionFactory(url);
    XAConnection xc = f.createXAConnection(); xc.start();
    XASession xs = xc.createXASession();
    XAResource res = xs.getXAResource();
    String qn = "xa." + System.nanoTime();
    Xid x1 = xid(1), x2 = xid(2), x3 = xid(3);
    MessageProducer p = xs.getSession().createProducer(xs.getSession().createQueue(qn));
    res.start(x1, XAResource.TMNOFLAGS); p.send(xs.getSession().createTextMessage("two-phase")); res.end(x1, XAResource.TMSUCCESS);
    System.out.println("prepare " + res.prepare(x1));
    System.out.println("recovered " + res.recover(XAResource.TMSTARTRSCAN).length);
    res.commit(x1, false);
    res.start(x2, XAResource.TMNOFLAGS); p.send(xs.getSession().createTextMessage("one-phase")); res.end(x2, XAResource.TMSUCCESS);
    res.commit(x2, true);
    res.start(x3, XAResource.TMNOFLAGS); p.send(xs.getSession().createTextMessage("rolled back")); res.end(x3, XAResource.TMSUCCESS);
    res.rollback(x3);
    Connection c = conn(url, null);
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    MessageConsumer mc = s.createConsumer(s.createQueue(qn));
    Message m;
    while ((m = mc.receive(1000)) != null) System.out.println("xa got " + ((TextMessage) m).getText());
    c.close(); xc.close();
  }

  static Xid xid(final int n) {
    return new Xid() {
      public int getFormatId() { return 77; }
      public byte[] getGlobalTransactionId() { return new byte[]{(byte) n, 1, 2}; }
      public byte[] getBranchQualifier() { return new byte[]{(byte) n}; }
    };
  }

  static void dupClient(String url) throws Exception {
    Connection c1 = conn(url, "same-id");
    try { conn(url, "same-id"); System.out.println("duplicate accepted"); }
    catch (InvalidClientIDException e) { System.out.println("duplicate refused InvalidClientIDException"); }
    c1.close();
  }

  static void idle(String url) throws Exception {
    Connection c = conn(url + "?wireFormat.maxInactivityDuration=1000", null);
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Thread.sleep(3500);
    Queue q = s.createQueue("idle." + System.nanoTime());
    s.createProducer(q).send(s.createTextMessage("after idle"));
    System.out.println("idle then " + ((TextMessage) s.createConsumer(q).receive(5000)).getText());
    c.close();
  }

  static void pull(String url) throws Exception {
    Connection c = conn(url + "?jms.prefetchPolicy.all=0", null);
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue q = s.createQueue("pull." + System.nanoTime());
    MessageConsumer mc = s.createConsumer(q);
    s.createProducer(q).send(s.createTextMessage("pulled"));
    System.out.println("pull got " + ((TextMessage) mc.receive(5000)).getText());
    System.out.println("pull empty " + mc.receive(300));
    c.close();
  }

  /** The client's redelivery policy gives up (6 redeliveries by default):
   *  a poison ack sends the message to ActiveMQ.DLQ with the cause. */
  static void poison(String url) throws Exception {
    poison(url, false);
  }

  /** With the broker's individual dead-letter strategy the poison message
   *  lands in ActiveMQ.DLQ.Queue.<its queue>. */
  static void poison(String url, boolean individual) throws Exception {
    Connection c = conn(url, null);
    Session s = c.createSession(true, Session.SESSION_TRANSACTED);
    String qn = "poison." + System.nanoTime();
    MessageProducer p = s.createProducer(s.createQueue(qn));
    p.setDeliveryMode(DeliveryMode.PERSISTENT);
    TextMessage t = s.createTextMessage("bad apple");
    p.send(t);
    s.commit();
    ((org.apache.activemq.ActiveMQConnection) c).getRedeliveryPolicy().setInitialRedeliveryDelay(0);
    ((org.apache.activemq.ActiveMQConnection) c).getRedeliveryPolicy().setRedeliveryDelay(0);
    MessageConsumer mc = s.createConsumer(s.createQueue(qn));
    int deliveries = 0;
    Message m;
    while ((m = mc.receive(2000)) != null) { deliveries++; s.rollback(); }
    System.out.println("deliveries " + deliveries);
    mc.close();
    Session ds = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    String dlqName = individual ? "ActiveMQ.DLQ.Queue." + qn : "ActiveMQ.DLQ";
    // The shared DLQ may hold earlier runs' messages: pick ours by id.
    String ours = "JMSMessageID = '" + t.getJMSMessageID() + "'";
    Message dead = ds.createConsumer(ds.createQueue(dlqName), ours).receive(5000);
    System.out.println("dlq " + (dead == null ? null : ((TextMessage) dead).getText())
      + " sameId=" + (dead != null && dead.getJMSMessageID().equals(t.getJMSMessageID()))
      + " cause=" + (dead != null && dead.getStringProperty("dlqDeliveryFailureCause") != null));
    c.close();
  }

  /** A message that expires in the client's prefetch buffer is acked as
   *  EXPIRED by the client and never delivered again. */
  static void expired(String url) throws Exception {
    Connection c = conn(url, null);
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue q = s.createQueue("expired." + System.nanoTime());
    MessageConsumer mc = s.createConsumer(q);
    MessageProducer p = s.createProducer(q);
    p.send(s.createTextMessage("short-lived"), DeliveryMode.NON_PERSISTENT, 4, 300);
    Thread.sleep(800);
    System.out.println("expired receive " + mc.receive(500));
    mc.close();
    System.out.println("expired later " + s.createConsumer(q).receive(500));
    c.close();
  }

  /** Receives with CLIENT ack and dies without acking or closing. */
  static void abruptConsume(String url, String qn) throws Exception {
    Connection c = conn(url, null);
    Session s = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
    s.createProducer(s.createQueue(qn)).send(s.createTextMessage("survivor"));
    Message m = s.createConsumer(s.createQueue(qn)).receive(5000);
    System.out.println("held " + ((TextMessage) m).getText());
    System.out.flush();
    Runtime.getRuntime().halt(0);
  }

  static void abruptCheck(String url, String qn) throws Exception {
    Connection c = conn(url, null);
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Message m = s.createConsumer(s.createQueue(qn)).receive(5000);
    System.out.println("after abrupt close " + (m == null ? null : ((TextMessage) m).getText() + " redelivered=" + m.getJMSRedelivered()));
    c.close();
  }

  static void async(String url) throws Exception {
    Connection c = conn(url + "?jms.useAsyncSend=true&jms.producerWindowSize=1024&jms.useCompression=true&jms.optimizeAcknowledge=true", null);
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue q = s.createQueue("async." + System.nanoTime());
    MessageProducer p = s.createProducer(q);
    StringBuilder big = new StringBuilder(); for (int i = 0; i < 2000; i++) big.append("compress me ");
    for (int i = 0; i < 200; i++) p.send(s.createTextMessage(i + ":" + big));
    MessageConsumer mc = s.createConsumer(q);
    int n = 0; Message m;
    while (n < 200 && (m = mc.receive(5000)) != null) { if (!((TextMessage) m).getText().equals(n + ":" + big)) throw new RuntimeException("body " + n); n++; }
    System.out.println("async received " + n);
    c.close();
  }
}
