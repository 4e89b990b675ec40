import java.util.ArrayList;
import java.util.List;
import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/** JMS selectors over OpenWire (test_selectors.py). Prints one line per check. */
public class Selectors {
  static List<String> drain(MessageConsumer c) throws JMSException {
    List<String> got = new ArrayList<>();
    Message m;
    while ((m = c.receive(700)) != null) got.add(((TextMessage) m).getText());
    return got;
  }

  public static void main(String[] a) throws Exception {
    Connection c = new ActiveMQConnectionFactory(a[0]).createConnection();
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    String base = "sel." + System.nanoTime();
    Queue q = s.createQueue(base + ".q");
    MessageConsumer odd = s.createConsumer(q, "n >= 5 AND kind = 'odd'");
    MessageConsumer even = s.createConsumer(q, "kind = 'even'");
    MessageProducer p = s.createProducer(q);
    for (int n = 0; n < 10; n++) {
      TextMessage m = s.createTextMessage("m" + n);
      m.setIntProperty("n", n);
      m.setStringProperty("kind", n % 2 == 0 ? "even" : "odd");
      p.send(m);
    }
    System.out.println("odd " + drain(odd));
    System.out.println("even " + drain(even));
    odd.close();
    even.close();
    MessageConsumer rest = s.createConsumer(q);
    System.out.println("rest " + drain(rest));
    rest.close();

    Queue hq = s.createQueue(base + ".headers");
    MessageProducer hp = s.createProducer(hq);
    for (int prio : new int[] {1, 8, 4, 9}) {
      TextMessage m = s.createTextMessage("p" + prio);
      m.setJMSType(prio > 5 ? "urgent" : "normal");
      hp.send(m, DeliveryMode.NON_PERSISTENT, prio, 0);
    }
    MessageConsumer urgent = s.createConsumer(hq, "JMSPriority >= 7 AND JMSType = 'urgent'");
    System.out.println("priority " + drain(urgent));
    urgent.close();
    s.createConsumer(hq).receive(500);

    Topic t = s.createTopic(base + ".t");
    MessageConsumer few = s.createConsumer(t, "name LIKE 'a%' OR code IN ('X', 'Y') OR v BETWEEN 10 AND 20 OR missing IS NOT NULL");
    MessageProducer tp = s.createProducer(t);
    String[][] sends = {{"abc", "Q", "1"}, {"zzz", "X", "1"}, {"zzz", "Q", "15"}, {"zzz", "Q", "99"}, {"b", "Z", "2.5"}};
    for (String[] v : sends) {
      TextMessage m = s.createTextMessage(v[0] + "/" + v[1] + "/" + v[2]);
      m.setStringProperty("name", v[0]);
      m.setStringProperty("code", v[1]);
      m.setDoubleProperty("v", Double.parseDouble(v[2]));
      tp.send(m);
    }
    System.out.println("topic " + drain(few));

    try {
      s.createConsumer(q, "n > ");
      System.out.println("invalid accepted");
    } catch (InvalidSelectorException e) {
      System.out.println("invalid refused " + e.getClass().getName());
    }
    c.close();
    System.out.println("DONE");
  }
}
