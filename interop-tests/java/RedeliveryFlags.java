import java.util.ArrayList;
import java.util.List;

import javax.jms.Connection;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.Session;
import javax.jms.TextMessage;

import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * Which messages come back marked redelivered when a consumer that took 3
 * of 6 (the other 3 waiting in its prefetch buffer) goes away: by closing
 * the consumer, its session, or its connection, after session.recover(),
 * or after a transaction rolls back. Prints, per scenario, each message
 * as the next consumer gets it: body, JMSRedelivered, JMSXDeliveryCount.
 */
public class RedeliveryFlags {
    static ActiveMQConnectionFactory factory;

    public static void main(String[] args) throws Exception {
        factory = new ActiveMQConnectionFactory(args[0]);
        for (String how : new String[] {"consumer", "session", "connection", "recover", "rollback"}) {
            String queue = "redelivery.flags." + how + "." + System.nanoTime();
            send(queue, 6);
            takeThreeThenLeave(queue, how);
            System.out.println(how + " " + drain(queue));
        }
    }

    static void send(String queue, int n) throws Exception {
        Connection c = factory.createConnection();
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer p = s.createProducer(s.createQueue(queue));
        for (int i = 0; i < n; i++) {
            p.send(s.createTextMessage("m" + i));
        }
        c.close();
    }

    static void takeThreeThenLeave(String queue, String how) throws Exception {
        Connection c = factory.createConnection();
        c.start();
        boolean transacted = how.equals("rollback");
        Session s = c.createSession(transacted, transacted ? Session.SESSION_TRANSACTED : Session.CLIENT_ACKNOWLEDGE);
        Queue q = s.createQueue(queue);
        MessageConsumer consumer = s.createConsumer(q);
        for (int i = 0; i < 3; i++) {
            if (consumer.receive(5000) == null) {
                throw new IllegalStateException("message " + i + " never came");
            }
        }
        switch (how) {
            case "consumer": consumer.close(); break;
            case "session": s.close(); break;
            case "connection": break;
            case "recover":
                s.recover();
                // The recovered three come again (redelivered), then go unacked.
                for (int i = 0; i < 3; i++) {
                    consumer.receive(5000);
                }
                consumer.close();
                break;
            case "rollback":
                s.rollback();
                consumer.close();
                break;
            default: throw new IllegalArgumentException(how);
        }
        c.close();
    }

    static String drain(String queue) throws Exception {
        Connection c = factory.createConnection();
        c.start();
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageConsumer consumer = s.createConsumer(s.createQueue(queue));
        List<String> got = new ArrayList<>();
        Message m;
        while ((m = consumer.receive(2000)) != null) {
            got.add(((TextMessage) m).getText() + (m.getJMSRedelivered() ? ":R" : ":-")
                    + m.getIntProperty("JMSXDeliveryCount"));
        }
        c.close();
        return got.toString();
    }
}
