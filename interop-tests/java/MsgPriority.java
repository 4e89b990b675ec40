import java.util.ArrayList;
import java.util.List;
import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/** The order queued messages of mixed JMSPriority come out in (test_destinations.py). */
public class MsgPriority {
  public static void main(String[] a) throws Exception {
    Connection c = new ActiveMQConnectionFactory(a[0]).createConnection();
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    for (int i = 1; i < a.length; i++) {
      Queue q = s.createQueue(a[i]);
      MessageProducer p = s.createProducer(q);
      int[] prios = {1, 4, 9, 0, 7, 4, 9};
      for (int k = 0; k < prios.length; k++) {
        p.send(s.createTextMessage("m" + k), DeliveryMode.PERSISTENT, prios[k], 0);
      }
      MessageConsumer r = s.createConsumer(q);
      List<String> got = new ArrayList<>();
      Message m;
      while ((m = r.receive(1000)) != null) got.add(((TextMessage) m).getText() + "/" + m.getJMSPriority());
      r.close();
      System.out.println(a[i].replaceAll("-[0-9a-f]+$", "") + " " + got);
    }
    c.close();
    System.out.println("DONE");
  }
}
