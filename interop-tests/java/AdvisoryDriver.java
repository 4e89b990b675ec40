import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * Makes the broker events WatchAdvisories reports (test_core_advisories.py):
 * a JMS producer and consumer on queue PREFIX.j, a temporary queue and a
 * temporary topic, a producer and a durable subscriber on topic PREFIX.t,
 * then closes them one by one. Arguments: broker URL, PREFIX.
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
    TemporaryTopic tt = s.createTemporaryTopic();
    Thread.sleep(200);
    tt.delete();
    Thread.sleep(200);
    MessageProducer tp = s.createProducer(s.createTopic(a[1] + ".t"));
    Thread.sleep(200);
    TopicSubscriber durable = s.createDurableSubscriber(s.createTopic(a[1] + ".t"), "dsub");
    Thread.sleep(200);
    durable.close();
    Thread.sleep(200);
    s.unsubscribe("dsub");
    Thread.sleep(200);
    tp.close();
    Thread.sleep(200);
    mc.close();
    Thread.sleep(200);
    p.close();
    Thread.sleep(200);
    c.close();
    System.out.println("DONE");
  }
}
