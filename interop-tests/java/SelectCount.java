import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * Consumes with a JMS selector and prints how many messages it received
 * (test_selectors.py). Arguments: broker URL, queue, selector, wait ms.
 */
public class SelectCount {
  public static void main(String[] a) throws Exception {
    Connection c = new ActiveMQConnectionFactory(a[0]).createConnection();
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    MessageConsumer mc = s.createConsumer(s.createQueue(a[1]), a[2]);
    int n = 0;
    while (mc.receive(Long.parseLong(a[3])) != null) n++;
    System.out.println("selected " + n);
    c.close();
  }
}
