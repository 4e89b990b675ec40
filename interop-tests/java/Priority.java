import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/** Consumer priority (test_destinations.py): the higher one is offered messages first. */
public class Priority {
  static int drain(MessageConsumer c) throws JMSException {
    int n = 0;
    while (c.receive(700) != null) n++;
    return n;
  }

  public static void main(String[] a) throws Exception {
    Connection c = new ActiveMQConnectionFactory(a[0]).createConnection();
    c.start();
    String qn = "prio." + System.nanoTime();
    Session ls = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Session hs = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    MessageConsumer low = ls.createConsumer(ls.createQueue(qn));
    MessageConsumer high = hs.createConsumer(hs.createQueue(qn + "?consumer.priority=9"));
    Session ps = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    MessageProducer p = ps.createProducer(ps.createQueue(qn));
    for (int i = 0; i < 5; i++) p.send(ps.createTextMessage("m" + i));
    System.out.println("high " + drain(high) + " low " + drain(low));
    c.close();
    System.out.println("DONE");
  }
}
