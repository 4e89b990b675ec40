import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.command.ActiveMQMessage;

/** Advisory topics as monitoring tools use them: consumer, producer and
 *  connection events, over a wildcard subscription. */
public class Advisories {
  public static void main(String[] a) throws Exception {
    ConnectionFactory f = new ActiveMQConnectionFactory(a[0]);
    Connection watcher = f.createConnection(); watcher.start();
    Session ws = watcher.createSession(false, Session.AUTO_ACKNOWLEDGE);
    MessageConsumer consumers = ws.createConsumer(ws.createTopic("ActiveMQ.Advisory.Consumer.>"));
    MessageConsumer producers = ws.createConsumer(ws.createTopic("ActiveMQ.Advisory.Producer.>"));
    MessageConsumer connections = ws.createConsumer(ws.createTopic("ActiveMQ.Advisory.Connection"));
    Connection app = f.createConnection(); app.start();
    Session s = app.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue q = s.createQueue("watched.queue");
    MessageConsumer c = s.createConsumer(q);
    MessageProducer p = s.createProducer(q);
    c.close(); p.close(); app.close();
    print("consumer", consumers, 2);
    print("producer", producers, 2);
    // The watcher's own connection first: a new subscriber is told of
    // the connections that exist, as in ActiveMQ.
    print("connection", connections, 3);
    watcher.close();
    System.out.println("OK");
    System.exit(0);
  }

  static void print(String what, MessageConsumer mc, int n) throws JMSException {
    for (int i = 0; i < n; i++) {
      Message m = mc.receive(5000);
      if (m == null) { System.out.println(what + " advisory missing"); return; }
      Object ds = ((ActiveMQMessage) m).getDataStructure();
      System.out.println(what + " advisory " + m.getJMSDestination() + " " + (ds == null ? null : ds.getClass().getSimpleName()));
    }
  }
}
