import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * A QueueBrowser with a selector (test_selectors.py): sends red, blue, red
 * and prints what a browser for color = 'red' sees, then what is left.
 * Arguments: broker URL, queue.
 */
public class BrowseSelected {
  public static void main(String[] a) throws Exception {
    Connection c = new ActiveMQConnectionFactory(a[0]).createConnection();
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue q = s.createQueue(a[1]);
    MessageProducer p = s.createProducer(q);
    for (String color : new String[] {"red", "blue", "red"}) {
      TextMessage m = s.createTextMessage(color);
      m.setStringProperty("color", color);
      p.send(m);
    }
    QueueBrowser b = s.createBrowser(q, "color = 'red'");
    java.util.Enumeration<?> e = b.getEnumeration();
    StringBuilder seen = new StringBuilder();
    while (e.hasMoreElements()) seen.append(((TextMessage) e.nextElement()).getText()).append(' ');
    b.close();
    System.out.println("browsed " + seen.toString().trim());
    MessageConsumer mc = s.createConsumer(q);
    int n = 0;
    while (mc.receive(1000) != null) n++;
    System.out.println("left " + n);
    c.close();
  }
}
