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
    c.close(); System.out.println("OK");
  }
}
