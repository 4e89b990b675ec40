import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/** Wildcard queue consumers and exclusive-consumer takeover (test_destinations.py). */
public class Wildcards {
  static List<String> drain(MessageConsumer c, int wait) throws JMSException {
    List<String> got = new ArrayList<>();
    Message m;
    while ((m = c.receive(wait)) != null) {
      got.add(((TextMessage) m).getText() + "@" + ((Queue) m.getJMSDestination()).getQueueName());
    }
    return got;
  }

  public static void main(String[] a) throws Exception {
    Connection c = new ActiveMQConnectionFactory(a[0]).createConnection();
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    String n = "w" + System.nanoTime();

    // A queue that exists before the wildcard consumer, and ones created after.
    s.createProducer(s.createQueue(n + ".eu")).send(s.createTextMessage("eu-before"));
    MessageConsumer wild = s.createConsumer(s.createQueue(n + ".>"));
    MessageProducer p = s.createProducer(null);
    p.send(s.createQueue(n + ".us"), s.createTextMessage("us"));
    p.send(s.createQueue(n + ".eu"), s.createTextMessage("eu"));
    p.send(s.createQueue(n + ".x.y"), s.createTextMessage("deep"));
    p.send(s.createQueue(n + "x"), s.createTextMessage("other"));
    List<String> got = drain(wild, 1500);
    Collections.sort(got);
    System.out.println("wildcard " + got.toString().replace(n, "N"));
    wild.close();
    System.out.println("other left " + drain(s.createConsumer(s.createQueue(n + "x")), 700).size());

    MessageConsumer one = s.createConsumer(s.createQueue(n + ".*"));
    p.send(s.createQueue(n + ".a.b"), s.createTextMessage("two-deep"));
    p.send(s.createQueue(n + ".a"), s.createTextMessage("one-deep"));
    System.out.println("star " + drain(one, 1000).toString().replace(n, "N"));
    one.close();

    // Exclusive consumer: it alone gets the queue's messages; when it
    // leaves, the next consumer takes over.
    Session cs = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
    Queue ex = s.createQueue(n + ".ex");
    MessageConsumer excl = cs.createConsumer(s.createQueue(n + ".ex?consumer.exclusive=true"));
    MessageConsumer plain = s.createConsumer(ex);
    for (int i = 0; i < 4; i++) p.send(ex, s.createTextMessage("e" + i));
    Message last = null;
    int exclGot = 0;
    Message m;
    while ((m = excl.receive(1000)) != null) {
      exclGot++;
      if (exclGot <= 2) { m.acknowledge(); } else { last = m; }
    }
    System.out.println("exclusive got " + exclGot + " plain got " + drain(plain, 500).size());
    excl.close(); // two delivered, unacknowledged: they move to the next consumer
    p.send(ex, s.createTextMessage("e4"));
    System.out.println("takeover " + drain(plain, 1500).toString().replace(n, "N"));
    c.close();
    System.out.println("DONE");
  }
}
