import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.command.*;

/**
 * Prints every advisory that arrives on the given topics until `quiet_ms`
 * passes without one (test_core_advisories.py): the advisory's properties
 * and the fields of its data structure, with ids reduced to their shape so
 * runs against ActiveMQ and Ferrum compare line by line.
 * Arguments: broker URL, quiet_ms, topic...
 * Prints READY once subscribed, so the driving test knows when to act.
 */
public class WatchAdvisories {
  /** An id with its generated parts replaced: "ID:host-1-2-3:4:-1:5" -> "ID:*:-1:5". */
  static String shape(Object id) {
    if (id == null) return "null";
    String s = id.toString();
    if (!s.startsWith("ID:")) return s;
    String[] parts = s.split(":");
    StringBuilder b = new StringBuilder("ID:*");
    for (int i = 3; i < parts.length; i++) b.append(':').append(parts[i]);
    return b.toString();
  }

  static String describe(javax.jms.Message m) throws JMSException {
    ActiveMQMessage a = (ActiveMQMessage) m;
    StringBuilder b = new StringBuilder();
    b.append(((ActiveMQDestination) a.getJMSDestination()).getPhysicalName());
    b.append(" type=").append(a.getJMSType());
    b.append(" persistent=").append(a.getJMSDeliveryMode() == DeliveryMode.PERSISTENT);
    for (String p : new String[] {"consumerCount", "producerCount"}) {
      b.append(' ').append(p).append('=').append(a.getObjectProperty(p));
    }
    b.append(" originBrokerName=").append(a.getStringProperty("originBrokerName") != null);
    b.append(" originBrokerId=").append(a.getStringProperty("originBrokerId") != null);
    b.append(" originBrokerURL=").append(a.getStringProperty("originBrokerURL") != null);
    Object data = a.getDataStructure();
    if (data instanceof ConsumerInfo) {
      ConsumerInfo c = (ConsumerInfo) data;
      b.append(" ConsumerInfo id=").append(shape(c.getConsumerId()))
          .append(" dest=").append(c.getDestination().getQualifiedName())
          .append(" prefetch=").append(c.getPrefetchSize())
          .append(" selector=").append(c.getSelector())
          .append(" subscription=").append(c.getSubscriptionName())
          .append(" noLocal=").append(c.isNoLocal())
          .append(" exclusive=").append(c.isExclusive())
          .append(" priority=").append(c.getPriority())
          .append(" browser=").append(c.isBrowser())
          .append(" networkSubscription=").append(c.isNetworkSubscription());
    } else if (data instanceof ProducerInfo) {
      ProducerInfo p = (ProducerInfo) data;
      b.append(" ProducerInfo id=").append(shape(p.getProducerId()))
          .append(" dest=").append(p.getDestination() == null ? "null" : p.getDestination().getQualifiedName());
    } else if (data instanceof ConnectionInfo) {
      ConnectionInfo c = (ConnectionInfo) data;
      b.append(" ConnectionInfo id=").append(shape(c.getConnectionId()))
          .append(" clientId=").append(c.getClientId() == null ? "null" : "set")
          .append(" password=").append(c.getPassword() == null || c.getPassword().isEmpty() ? "hidden" : "shown");
    } else if (data instanceof RemoveInfo) {
      b.append(" RemoveInfo of=").append(((RemoveInfo) data).getObjectId().getClass().getSimpleName())
          .append(" id=").append(shape(((RemoveInfo) data).getObjectId()));
    } else if (data instanceof DestinationInfo) {
      DestinationInfo d = (DestinationInfo) data;
      b.append(" DestinationInfo op=").append(d.getOperationType())
          .append(" temp=").append(d.getDestination().isTemporary())
          .append(" connection=").append(shape(d.getConnectionId()));
    } else {
      b.append(" data=").append(data == null ? "null" : data.getClass().getSimpleName());
    }
    return b.toString();
  }

  public static void main(String[] a) throws Exception {
    Connection c = new ActiveMQConnectionFactory(a[0]).createConnection();
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    long quiet = Long.parseLong(a[1]);
    MessageConsumer[] watchers = new MessageConsumer[a.length - 2];
    for (int i = 2; i < a.length; i++) watchers[i - 2] = s.createConsumer(s.createTopic(a[i]));
    System.out.println("READY");
    System.out.flush();
    long last = System.currentTimeMillis();
    while (System.currentTimeMillis() - last < quiet) {
      for (MessageConsumer w : watchers) {
        javax.jms.Message m = w.receive(20);
        if (m != null) {
          System.out.println(describe(m));
          System.out.flush();
          last = System.currentTimeMillis();
        }
      }
    }
    c.close();
    System.out.println("DONE");
  }
}
