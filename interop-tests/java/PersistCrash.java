import javax.jms.*;
import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * Crash-test client for persistent messaging (test_persistence.py).
 *
 *   produce URL QUEUE FIRST COUNT   persistent sync sends; prints "C n" once send(n) returned
 *   consume URL QUEUE IDLE_MS       client-ack receive; prints "R n redelivered" before acking;
 *                                   exits after IDLE_MS without a message
 *
 * Without failover: when the broker dies the client gets an exception and exits 2,
 * and the test starts a new one against the restarted broker.
 */
public class PersistCrash {
  public static void main(String[] a) throws Exception {
    ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(a[1]);
    Connection c = null;
    try {
      c = f.createConnection();
      c.start();
      if (a[0].equals("produce")) {
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer p = s.createProducer(s.createQueue(a[2]));
        p.setDeliveryMode(DeliveryMode.PERSISTENT);
        int first = Integer.parseInt(a[3]), count = Integer.parseInt(a[4]);
        for (int n = first; n < first + count; n++) {
          TextMessage m = s.createTextMessage("payload-" + n);
          m.setIntProperty("seq", n);
          p.send(m);
          System.out.println("C " + n);
          System.out.flush();
        }
      } else {
        Session s = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
        MessageConsumer mc = s.createConsumer(s.createQueue(a[2]));
        long idle = Long.parseLong(a[3]);
        while (true) {
          Message m = mc.receive(idle);
          if (m == null) break;
          System.out.println("R " + m.getIntProperty("seq") + " " + m.getJMSRedelivered());
          System.out.flush();
          m.acknowledge();
        }
      }
      System.out.println("DONE");
      c.close();
    } catch (Exception e) {
      System.out.println("EXC " + e.getClass().getName());
      System.exit(2);
    }
  }
}
