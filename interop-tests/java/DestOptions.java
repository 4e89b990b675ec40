import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/** Consumer options given as destination options, which the Java client passes through (test_destinations.py). */
public class DestOptions {
  static int count(MessageConsumer c, int wait) throws JMSException {
    int n = 0;
    while (c.receive(wait) != null) n++;
    return n;
  }

  public static void main(String[] a) throws Exception {
    ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(a[0]);
    Connection c = f.createConnection();
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Session cs = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
    String n = "o" + System.nanoTime();

    // consumer.prefetchSize=1: the broker sends it one message until it acks.
    MessageConsumer one = cs.createConsumer(s.createQueue(n + ".q?consumer.prefetchSize=1"));
    MessageConsumer other = s.createConsumer(s.createQueue(n + ".q"));
    MessageProducer p = s.createProducer(s.createQueue(n + ".q"));
    for (int i = 0; i < 4; i++) p.send(s.createTextMessage("m" + i));
    Thread.sleep(300);
    int oneGot = count(one, 300);
    System.out.println("prefetch one " + oneGot + " other " + count(other, 500));

    // consumer.dispatchAsync=false: still delivered.
    MessageConsumer sync = s.createConsumer(s.createQueue(n + ".sync?consumer.dispatchAsync=false"));
    s.createProducer(s.createQueue(n + ".sync")).send(s.createTextMessage("x"));
    System.out.println("dispatchAsync=false " + count(sync, 700));

    // consumer.noLocal=true on a topic: not its own connection's messages.
    MessageConsumer noLocal = s.createConsumer(s.createTopic(n + ".t?consumer.noLocal=true"));
    s.createProducer(s.createTopic(n + ".t")).send(s.createTextMessage("own"));
    Connection c2 = f.createConnection();
    Session s2 = c2.createSession(false, Session.AUTO_ACKNOWLEDGE);
    s2.createProducer(s2.createTopic(n + ".t")).send(s2.createTextMessage("foreign"));
    Message m;
    StringBuilder got = new StringBuilder();
    while ((m = noLocal.receive(700)) != null) got.append(((TextMessage) m).getText()).append(' ');
    System.out.println("noLocal got " + got.toString().trim());
    c2.close();
    c.close();
    System.out.println("DONE");
  }
}
