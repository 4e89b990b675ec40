import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;

import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.InvalidSelectorException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.Session;

import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * Replays selector cases over OpenWire: per case, on a fresh queue, a
 * consumer with the case's selector and a second, of higher priority,
 * taking only a sentinel; the case's message is sent, then the sentinel. Both consumers
 * share one connection, so once the sentinel has arrived, the case's
 * message has arrived too if the broker selected it.
 *
 * Args: broker URL, a file of lines "ID<TAB>selector<TAB>fields..." (the
 * fields as SelectorOracle.java reads them). Prints "ID 1" (delivered),
 * "ID 0" (not), "ID P" (createConsumer refused the selector), "ID ?" (the
 * sentinel never came).
 */
public class SelectorWire {
    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Paths.get(args[1]), StandardCharsets.UTF_8);
        Connection conn = new ActiveMQConnectionFactory(args[0]).createConnection();
        conn.start();
        Session session = conn.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer producer = session.createProducer(null);
        for (String line : lines) {
            String[] f = line.split("\t", -1);
            String id = f[0];
            Queue queue = session.createQueue("selector.wire." + id + "." + System.nanoTime());
            MessageConsumer chosen;
            try {
                chosen = session.createConsumer(queue, f[1]);
            } catch (InvalidSelectorException e) {
                System.out.println(id + " P");
                continue;
            }
            // The sentinel's consumer outranks the case's (whose selector may
            // take the sentinel too), so the sentinel always goes to it.
            MessageConsumer sentinels = session.createConsumer(
                    session.createQueue(queue.getQueueName() + "?consumer.priority=100"), "sentinel = 'yes'");
            Message m = session.createTextMessage("case " + id);
            int mode = DeliveryMode.NON_PERSISTENT;
            int priority = 4;
            for (int i = 2; i < f.length; i++) {
                String spec = f[i];
                char kind = spec.charAt(0);
                int eq = spec.indexOf('=');
                String name = spec.substring(2, eq);
                String v = spec.substring(eq + 1);
                if (kind != 'H') {
                    SelectorOracle.setProperty(m, kind, name, v);
                    continue;
                }
                switch (name) {
                    case "type": m.setJMSType(v); break;
                    case "correlation": m.setJMSCorrelationID(v); break;
                    case "priority": priority = Integer.parseInt(v); break;
                    case "persistent":
                        mode = Boolean.parseBoolean(v) ? DeliveryMode.PERSISTENT : DeliveryMode.NON_PERSISTENT;
                        break;
                    case "replyto": m.setJMSReplyTo(session.createQueue(v)); break;
                    case "group": m.setStringProperty("JMSXGroupID", v); break;
                    default: throw new IllegalArgumentException("header " + name);
                }
            }
            producer.send(queue, m, mode, priority, 0);
            Message sentinel = session.createTextMessage("sentinel");
            sentinel.setStringProperty("sentinel", "yes");
            producer.send(queue, sentinel, DeliveryMode.NON_PERSISTENT, 4, 0);
            if (sentinels.receive(5000) == null) {
                System.out.println(id + " ?");
            } else {
                System.out.println(id + (chosen.receive(200) != null ? " 1" : " 0"));
            }
            chosen.close();
            sentinels.close();
        }
        conn.close();
    }
}
