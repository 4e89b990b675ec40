import java.util.ArrayList;
import java.util.List;
import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * Scheduled delivery with the real JMS client (test_scheduler.py).
 *
 *   roundtrip URL QUEUE COUNT WAIT_MS [TX] NAME=VALUE...
 *       subscribes, sends one persistent TextMessage with the given
 *       properties (long if VALUE is a number, else string; in a
 *       transaction committed at once with TX=tx), then receives up to COUNT
 *       messages within WAIT_MS and prints for each:
 *       "R <ms after the send> <JMSMessageID> <scheduledJobId> <AMQ props left>"
 *       and first "SENT <JMSMessageID>".
 *   send URL QUEUE NAME=VALUE...        one persistent message; prints SENT id
 *   receive URL QUEUE COUNT WAIT_MS     as roundtrip's output, times since start
 *   rollback URL QUEUE WAIT_MS          transacted receive, rollback, receive
 *       again: prints "FIRST id redelivered" and "AGAIN id redelivered"
 */
public class Scheduler {
  public static void main(String[] a) throws Exception {
    ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(a[1]);
    Connection c = f.createConnection();
    c.start();
    try {
      switch (a[0]) {
        case "roundtrip": roundtrip(c, a); break;
        case "send": {
          Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
          send(s, s.createQueue(a[2]), a, 3);
          break;
        }
        case "receive": {
          Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
          MessageConsumer mc = s.createConsumer(s.createQueue(a[2]));
          receive(mc, Integer.parseInt(a[3]), Long.parseLong(a[4]), System.currentTimeMillis());
          break;
        }
        case "rollback": rollback(c, a); break;
        default: throw new IllegalArgumentException(a[0]);
      }
    } finally {
      c.close();
    }
  }

  static void send(Session s, Destination d, String[] a, int from) throws JMSException {
    MessageProducer p = s.createProducer(d);
    p.setDeliveryMode(DeliveryMode.PERSISTENT);
    TextMessage m = s.createTextMessage("scheduled");
    for (int i = from; i < a.length; i++) {
      String[] kv = a[i].split("=", 2);
      if (kv[1].matches("-?\\d+")) {
        if (kv[0].equals("AMQ_SCHEDULED_REPEAT")) m.setIntProperty(kv[0], Integer.parseInt(kv[1]));
        else m.setLongProperty(kv[0], Long.parseLong(kv[1]));
      } else {
        m.setStringProperty(kv[0], kv[1]);
      }
    }
    p.send(m);
    if (s.getTransacted()) s.commit();
    System.out.println("SENT " + m.getJMSMessageID());
    System.out.flush();
  }

  static void roundtrip(Connection c, String[] a) throws Exception {
    boolean tx = a.length > 5 && a[5].equals("tx");
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue q = s.createQueue(a[2]);
    MessageConsumer mc = s.createConsumer(q);
    Session ps = tx ? c.createSession(true, Session.SESSION_TRANSACTED) : s;
    long start = System.currentTimeMillis();
    send(ps, q, a, tx ? 6 : 5);
    receive(mc, Integer.parseInt(a[3]), Long.parseLong(a[4]), start);
  }

  static void receive(MessageConsumer mc, int count, long waitMs, long start) throws JMSException {
    long deadline = System.currentTimeMillis() + waitMs;
    for (int n = 0; n < count; n++) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) break;
      Message m = mc.receive(left);
      if (m == null) break;
      List<String> left_props = new ArrayList<>();
      for (java.util.Enumeration<?> e = m.getPropertyNames(); e.hasMoreElements();) {
        String name = (String) e.nextElement();
        if (name.startsWith("AMQ_SCHEDULED_")) left_props.add(name);
      }
      System.out.println("R " + (System.currentTimeMillis() - start) + " " + m.getJMSMessageID()
          + " " + m.getStringProperty("scheduledJobId") + " " + String.join(",", left_props));
      System.out.flush();
    }
  }

  static void rollback(Connection c, String[] a) throws Exception {
    Session s = c.createSession(true, Session.SESSION_TRANSACTED);
    MessageConsumer mc = s.createConsumer(s.createQueue(a[2]));
    long wait = Long.parseLong(a[3]);
    Message m = mc.receive(wait);
    System.out.println("FIRST " + (m == null ? "none" : m.getJMSMessageID() + " " + m.getJMSRedelivered()));
    s.rollback();
    m = mc.receive(wait);
    System.out.println("AGAIN " + (m == null ? "none" : m.getJMSMessageID() + " " + m.getJMSRedelivered()));
    s.commit();
  }
}
