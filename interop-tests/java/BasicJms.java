import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;
public class BasicJms {
  public static void main(String[] a) throws Exception {
    ConnectionFactory f = new ActiveMQConnectionFactory(a[0]);
    Connection c = f.createConnection(); c.setClientID("basic-client"); c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue q = s.createQueue("basic.q");
    MessageProducer p = s.createProducer(q);
    TextMessage t = s.createTextMessage("hello ferrum"); t.setStringProperty("k","v"); t.setIntProperty("n", 7);
    p.send(t);
    p.setDeliveryMode(DeliveryMode.PERSISTENT); p.send(s.createTextMessage("persistent one"));
    MessageConsumer mc = s.createConsumer(q);
    for (int i = 0; i < 2; i++) {
      Message m = mc.receive(5000);
      if (m == null) { System.out.println("TIMEOUT"); System.exit(1); }
      System.out.println("got " + ((TextMessage)m).getText() + " k=" + m.getStringProperty("k") + " n=" + m.getObjectProperty("n") + " id=" + m.getJMSMessageID() + " redelivered=" + m.getJMSRedelivered());
    }
    mc.close();
    Session tx = c.createSession(true, Session.SESSION_TRANSACTED);
    MessageProducer tp = tx.createProducer(q); tp.send(tx.createTextMessage("in tx")); tx.commit();
    MessageConsumer tc = tx.createConsumer(q); Message m = tc.receive(5000); System.out.println("tx got " + ((TextMessage)m).getText()); tx.rollback();
    m = tc.receive(5000); System.out.println("after rollback " + ((TextMessage)m).getText() + " redelivered=" + m.getJMSRedelivered() + " count=" + m.getIntProperty("JMSXDeliveryCount")); tx.commit();
    TemporaryQueue tq = s.createTemporaryQueue(); MessageConsumer rc = s.createConsumer(tq); s.createProducer(tq).send(s.createTextMessage("to temp"));
    System.out.println("temp " + ((TextMessage)rc.receive(5000)).getText());
    TemporaryTopic tt = s.createTemporaryTopic(); MessageConsumer ttc = s.createConsumer(tt); s.createProducer(tt).send(s.createTextMessage("to temp topic"));
    System.out.println("temp topic " + ((TextMessage)ttc.receive(5000)).getText());
    Topic plain = s.createTopic("basic.topic"); MessageConsumer t1 = s.createConsumer(plain); MessageConsumer t2 = s.createConsumer(plain);
    s.createProducer(plain).send(s.createTextMessage("fan out"));
    System.out.println("topic " + ((TextMessage)t1.receive(5000)).getText() + " / " + ((TextMessage)t2.receive(5000)).getText());
    Connection other = f.createConnection(); other.start();
    Session os = other.createSession(false, Session.AUTO_ACKNOWLEDGE);
    TemporaryQueue doomed = os.createTemporaryQueue();
    MessageProducer toDoomed = s.createProducer(doomed);
    Thread.sleep(200);
    other.close();
    Thread.sleep(200);
    try { toDoomed.send(s.createTextMessage("too late")); System.out.println("deleted temp accepted"); }
    catch (InvalidDestinationException e) { System.out.println("deleted temp refused InvalidDestinationException"); }
    c.close(); System.out.println("OK");
  }
}
