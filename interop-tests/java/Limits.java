import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * Resource limits (test_persistence.py): sends 10 KiB messages to a queue nobody
 * reads until the broker refuses one, reports the exception, then drains the
 * queue and checks that sending works again.
 *
 *   fill URL QUEUE PERSISTENT(true|false) MAX
 */
public class Limits {
  public static void main(String[] a) throws Exception {
    Connection c = new ActiveMQConnectionFactory(a[1]).createConnection();
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue q = s.createQueue(a[2]);
    MessageProducer p = s.createProducer(q);
    p.setDeliveryMode(Boolean.parseBoolean(a[3]) ? DeliveryMode.PERSISTENT : DeliveryMode.NON_PERSISTENT);
    int max = Integer.parseInt(a[4]);
    byte[] body = new byte[10 * 1024];
    int sent = 0;
    try {
      for (; sent < max; sent++) {
        BytesMessage m = s.createBytesMessage();
        m.writeBytes(body);
        // Synchronous even when non-persistent, so a refusal reaches us.
        ((org.apache.activemq.ActiveMQMessageProducer) p).send(m, p.getDeliveryMode(), 4, 0);
      }
      System.out.println("no refusal after " + sent);
    } catch (JMSException e) {
      System.out.println("refused after " + sent + ": " + e.getClass().getName() + ": " + e.getMessage());
    }
    MessageConsumer mc = s.createConsumer(q);
    int drained = 0;
    while (mc.receive(1000) != null) drained++;
    System.out.println("drained " + drained);
    BytesMessage m = s.createBytesMessage();
    m.writeBytes(body);
    p.send(m);
    System.out.println("sent again");
    c.close();
  }
}
