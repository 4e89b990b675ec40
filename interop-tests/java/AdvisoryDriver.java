import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * Makes the broker events WatchAdvisories reports (test_core_advisories.py):
 * a JMS producer and consumer on queue PREFIX.j, a temporary queue, then
 * closes them one by one. Arguments: broker URL, PREFIX.
 */
public class AdvisoryDriver {
  public static void main(String[] a) throws Exception {
    Connection c = new ActiveMQConnectionFactory(a[0]).createConnection();
    c.setClientID("driver");
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    MessageProducer p = s.createProducer(s.createQueue(a[1] + ".j"));
    Thread.sleep(200);
    MessageConsumer mc = s.createConsumer(s.createQueue(a[1] + ".j"), "n > 1");
    Thread.sleep(200);
    TemporaryQueue t = s.createTemporaryQueue();
    Thread.sleep(200);
    t.delete();
    Thread.sleep(200);
    mc.close();
    Thread.sleep(200);
    p.close();
    Thread.sleep(200);
    c.close();
    System.out.println("DONE");
  }
}
