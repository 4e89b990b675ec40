import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.springframework.jms.connection.CachingConnectionFactory;
import org.springframework.jms.core.JmsTemplate;
import org.springframework.jms.core.MessageCreator;

/** Spring's JmsTemplate, as many users reach the broker. */
public class SpringJms {
  public static void main(String[] a) throws Exception {
    CachingConnectionFactory cf = new CachingConnectionFactory(new ActiveMQConnectionFactory(a[0]));
    JmsTemplate t = new JmsTemplate(cf);
    t.setReceiveTimeout(5000);
    String q = "spring." + System.nanoTime();
    t.convertAndSend(q, "hello from spring");
    t.send(q, new MessageCreator() {
      public Message createMessage(Session s) throws JMSException {
        TextMessage m = s.createTextMessage("with header");
        m.setStringProperty("source", "spring");
        return m;
      }
    });
    System.out.println("spring got " + t.receiveAndConvert(q));
    Message m = t.receive(q);
    System.out.println("spring got " + ((TextMessage) m).getText() + " source=" + m.getStringProperty("source"));
    cf.destroy();
    System.out.println("OK");
    System.exit(0);
  }
}
