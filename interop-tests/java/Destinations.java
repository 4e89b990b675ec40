import java.util.ArrayList;
import java.util.List;
import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/** Composite destinations, virtual topics and expiry to the DLQ (test_destinations.py). */
public class Destinations {
  static List<String> drain(MessageConsumer c, int wait) throws JMSException {
    List<String> got = new ArrayList<>();
    Message m;
    while ((m = c.receive(wait)) != null) got.add(((TextMessage) m).getText());
    return got;
  }

  public static void main(String[] a) throws Exception {
    Connection c = new ActiveMQConnectionFactory(a[0]).createConnection();
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    String n = "d" + System.nanoTime();

    MessageConsumer ta = s.createConsumer(s.createTopic(n + ".t"));
    s.createProducer(s.createQueue(n + ".a," + n + ".b,topic://" + n + ".t")).send(s.createTextMessage("composite"));
    System.out.println("composite a " + drain(s.createConsumer(s.createQueue(n + ".a")), 700));
    System.out.println("composite b " + drain(s.createConsumer(s.createQueue(n + ".b")), 700));
    System.out.println("composite t " + drain(ta, 700));

    String vt = "VirtualTopic." + n;
    MessageConsumer x1 = s.createConsumer(s.createQueue("Consumer.X." + vt));
    MessageConsumer x2 = s.createConsumer(s.createQueue("Consumer.X." + vt));
    MessageConsumer y = s.createConsumer(s.createQueue("Consumer.Y." + vt));
    MessageProducer vp = s.createProducer(s.createTopic(vt));
    for (int i = 0; i < 4; i++) vp.send(s.createTextMessage("v" + i));
    int xs = drain(x1, 700).size() + drain(x2, 700).size();
    System.out.println("virtual X " + xs + " Y " + drain(y, 700).size());

    Queue eq = s.createQueue(n + ".exp");
    MessageProducer ep = s.createProducer(eq);
    ep.setDeliveryMode(DeliveryMode.PERSISTENT);
    ep.setTimeToLive(200);
    ep.send(s.createTextMessage("expires"));
    MessageProducer np = s.createProducer(eq);
    np.setDeliveryMode(DeliveryMode.NON_PERSISTENT);
    np.setTimeToLive(200);
    np.send(s.createTextMessage("expires too"));
    Thread.sleep(700);
    System.out.println("expired delivered " + drain(s.createConsumer(eq), 700));
    MessageConsumer dlq = s.createConsumer(s.createQueue("ActiveMQ.DLQ"));
    Message m;
    while ((m = dlq.receive(1500)) != null) {
      System.out.println("dlq " + ((TextMessage) m).getText()
          + " cause=" + m.getStringProperty("dlqDeliveryFailureCause")
          + " originalExpirationSet=" + (m.getObjectProperty("originalExpiration") != null)
          + " expiration=" + m.getJMSExpiration());
    }
    c.close();
    System.out.println("DONE");
  }
}
