import java.util.ArrayList;
import java.util.List;
import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/** Message groups (test_destinations.py): JMSXGroupID pins a group to one consumer. */
public class Groups {
  static String drain(MessageConsumer c) throws JMSException {
    List<String> got = new ArrayList<>();
    Message m;
    while ((m = c.receive(700)) != null) {
      boolean first = m.propertyExists("JMSXGroupFirstForConsumer") && m.getBooleanProperty("JMSXGroupFirstForConsumer");
      got.add(((TextMessage) m).getText() + (first ? "*" : ""));
    }
    return String.join(",", got);
  }

  public static void main(String[] a) throws Exception {
    Connection c = new ActiveMQConnectionFactory(a[0]).createConnection();
    c.start();
    Session s1 = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Session s2 = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Session ps = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue q = ps.createQueue("groups." + System.nanoTime());
    MessageConsumer c1 = s1.createConsumer(q);
    MessageConsumer c2 = s2.createConsumer(q);
    MessageProducer p = ps.createProducer(q);
    for (int i = 1; i <= 3; i++) {
      for (String g : new String[] {"A", "B"}) {
        TextMessage m = ps.createTextMessage(g + i);
        m.setStringProperty("JMSXGroupID", g);
        p.send(m);
      }
    }
    String one = drain(c1), two = drain(c2);
    // Which consumer gets which group is round-robin; print them sorted.
    System.out.println("groups " + (one.compareTo(two) < 0 ? one + " | " + two : two + " | " + one));
    boolean c1HasA = one.startsWith("A");
    (c1HasA ? c1 : c2).close();
    MessageConsumer rest = c1HasA ? c2 : c1;
    for (String g : new String[] {"A", "B"}) {
      TextMessage m = ps.createTextMessage(g + 4);
      m.setStringProperty("JMSXGroupID", g);
      p.send(m);
    }
    System.out.println("after close " + drain(rest));
    c.close();
    System.out.println("DONE");
  }
}
