import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/** Retroactive topic consumers and retained messages (test_destinations.py). */
public class Retroactive {
  static String show(Message m) throws JMSException {
    if (m == null) return "none";
    return ((TextMessage) m).getText() + " retain=" + m.getObjectProperty("ActiveMQ.Retain")
        + " retained=" + m.getObjectProperty("ActiveMQ.Retained");
  }

  public static void main(String[] a) throws Exception {
    Connection c = new ActiveMQConnectionFactory(a[0]).createConnection();
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    String n = "r" + System.nanoTime();
    Topic t = s.createTopic(n);
    MessageConsumer live = s.createConsumer(t);
    MessageProducer p = s.createProducer(t);
    TextMessage r = s.createTextMessage("kept");
    r.setBooleanProperty("ActiveMQ.Retain", true);
    p.send(r);
    p.send(s.createTextMessage("not kept"));
    System.out.println("live " + show(live.receive(1000)) + " | " + show(live.receive(1000)));
    MessageConsumer retro = s.createConsumer(s.createTopic(n + "?consumer.retroactive=true"));
    System.out.println("retroactive " + show(retro.receive(1000)) + " then " + show(retro.receive(300)));
    MessageConsumer plain = s.createConsumer(t);
    System.out.println("plain " + show(plain.receive(500)));
    // A newer retained message replaces it; an empty one clears it.
    TextMessage r2 = s.createTextMessage("kept2");
    r2.setBooleanProperty("ActiveMQ.Retain", true);
    p.send(r2);
    System.out.println("replaced " + show(s.createConsumer(s.createTopic(n + "?consumer.retroactive=true")).receive(1000)));
    TextMessage clear = s.createTextMessage("");
    clear.setBooleanProperty("ActiveMQ.Retain", true);
    p.send(clear);
    System.out.println("cleared " + show(s.createConsumer(s.createTopic(n + "?consumer.retroactive=true")).receive(500)));
    c.close();
    System.out.println("DONE");
  }
}
