import java.util.*;
import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * The Java client's side of the network-of-brokers tests (test_network.py):
 * producers on one broker, consumers on another.
 *
 *   send URL DEST N PERSISTENT            N TextMessages m0..m(N-1), int property n = i
 *   receive URL DEST N WAITMS [SELECTOR]   prints "ready", then "got " + sorted bodies
 *   durable URL CLIENTID SUB TOPIC N WAITMS [close]  a durable subscriber; "close"
 *                                          subscribes once, prints "ready" and leaves
 *   reply URL QUEUE N                      answers N requests to their JMSReplyTo
 *   request URL QUEUE N WAITMS             N requests over a temporary queue
 *
 * DEST is queue://name or topic://name.
 */
public class NetworkJms {
  public static void main(String[] a) throws Exception {
    Connection c = new ActiveMQConnectionFactory(a[1]).createConnection();
    if (a[0].equals("durable")) c.setClientID(a[2]);
    c.start();
    Session s = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
    switch (a[0]) {
      case "send": {
        MessageProducer p = s.createProducer(dest(s, a[2]));
        p.setDeliveryMode(Boolean.parseBoolean(a[4]) ? DeliveryMode.PERSISTENT : DeliveryMode.NON_PERSISTENT);
        int n = Integer.parseInt(a[3]);
        for (int i = 0; i < n; i++) {
          TextMessage m = s.createTextMessage("m" + i);
          m.setIntProperty("n", i);
          p.send(m);
        }
        System.out.println("sent " + n);
        break;
      }
      case "receive": {
        MessageConsumer mc = a.length > 5 ? s.createConsumer(dest(s, a[2]), a[5]) : s.createConsumer(dest(s, a[2]));
        System.out.println("ready");
        System.out.flush();
        report(mc, Integer.parseInt(a[3]), Long.parseLong(a[4]));
        break;
      }
      case "durable": {
        MessageConsumer mc = s.createDurableSubscriber(s.createTopic(a[4]), a[3]);
        System.out.println("ready");
        System.out.flush();
        if (a.length > 7 && a[7].equals("close")) break;
        report(mc, Integer.parseInt(a[5]), Long.parseLong(a[6]));
        break;
      }
      case "reply": {
        MessageConsumer mc = s.createConsumer(s.createQueue(a[2]));
        MessageProducer p = s.createProducer(null);
        System.out.println("ready");
        System.out.flush();
        for (int i = 0; i < Integer.parseInt(a[3]); i++) {
          Message m = mc.receive(60000);
          if (m == null) break;
          p.send(m.getJMSReplyTo(), s.createTextMessage("re:" + ((TextMessage) m).getText()));
          m.acknowledge();
        }
        break;
      }
      case "request": {
        TemporaryQueue tq = s.createTemporaryQueue();
        MessageConsumer mc = s.createConsumer(tq);
        MessageProducer p = s.createProducer(s.createQueue(a[2]));
        List<String> got = new ArrayList<>();
        for (int i = 0; i < Integer.parseInt(a[3]); i++) {
          TextMessage m = s.createTextMessage("q" + i);
          m.setJMSReplyTo(tq);
          p.send(m);
          Message r = mc.receive(Long.parseLong(a[4]));
          got.add(r == null ? "timeout" : ((TextMessage) r).getText());
          if (r != null) r.acknowledge();
        }
        System.out.println("replies " + got);
        break;
      }
      default: throw new IllegalArgumentException(a[0]);
    }
    c.close();
  }

  static Destination dest(Session s, String d) throws JMSException {
    if (d.startsWith("topic://")) return s.createTopic(d.substring(8));
    return s.createQueue(d.startsWith("queue://") ? d.substring(8) : d);
  }

  /** Receives up to n messages (each wait at most waitMs) and prints them sorted. */
  static void report(MessageConsumer mc, int n, long waitMs) throws JMSException {
    List<String> got = new ArrayList<>();
    while (got.size() < n) {
      Message m = mc.receive(waitMs);
      if (m == null) break;
      got.add(((TextMessage) m).getText());
      m.acknowledge();
    }
    // Anything more is a duplicate.
    Message extra = mc.receive(1000);
    while (extra != null) {
      got.add(((TextMessage) extra).getText());
      extra.acknowledge();
      extra = mc.receive(500);
    }
    Collections.sort(got, Comparator.comparingInt((String x) -> Integer.parseInt(x.substring(1))));
    System.out.println("got " + got);
  }
}
