import java.util.Enumeration;
import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/** The JMS side of STOMP <-> JMS checks.
 *  receive URL QUEUE N: prints each message's type, body and headers.
 *  send URL QUEUE: sends a TextMessage and a BytesMessage with headers and properties. */
public class CrossProtocol {
  public static void main(String[] a) throws Exception {
    Connection c = new ActiveMQConnectionFactory(a[1]).createConnection();
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue q = s.createQueue(a[2]);
    if (a[0].equals("receive")) {
      MessageConsumer mc = s.createConsumer(q);
      for (int i = 0; i < Integer.parseInt(a[3]); i++) {
        Message m = mc.receive(10000);
        if (m == null) throw new RuntimeException("timeout");
        StringBuilder b = new StringBuilder();
        if (m instanceof TextMessage) b.append("TEXT ").append(((TextMessage) m).getText());
        else if (m instanceof BytesMessage) {
          BytesMessage bm = (BytesMessage) m;
          byte[] data = new byte[(int) bm.getBodyLength()];
          bm.readBytes(data);
          b.append("BYTES ").append(new String(data, "UTF-8"));
        } else b.append("OTHER ").append(m.getClass().getSimpleName());
        b.append(" | corr=").append(m.getJMSCorrelationID())
         .append(" type=").append(m.getJMSType())
         .append(" prio=").append(m.getJMSPriority())
         .append(" persistent=").append(m.getJMSDeliveryMode() == DeliveryMode.PERSISTENT)
         .append(" replyTo=").append(m.getJMSReplyTo())
         .append(" exp=").append(m.getJMSExpiration() > 0);
        Enumeration<?> names = m.getPropertyNames();
        java.util.TreeSet<String> sorted = new java.util.TreeSet<>();
        while (names.hasMoreElements()) sorted.add((String) names.nextElement());
        for (String n : sorted) b.append(" ").append(n).append("=").append(m.getObjectProperty(n));
        System.out.println(b);
      }
    } else {
      MessageProducer p = s.createProducer(q);
      TextMessage t = s.createTextMessage("from jms");
      t.setJMSCorrelationID("corr-7");
      t.setJMSType("greeting");
      t.setJMSReplyTo(s.createQueue("replies"));
      t.setStringProperty("color", "blue");
      t.setIntProperty("count", 3);
      t.setBooleanProperty("flag", true);
      p.setPriority(6);
      p.send(t);
      BytesMessage bm = s.createBytesMessage();
      bm.writeBytes("raw bytes".getBytes("UTF-8"));
      bm.setLongProperty("big", 1234567890123L);
      p.send(bm);
    }
    c.close();
    System.out.println("OK");
  }
}
