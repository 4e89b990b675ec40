import javax.jms.*;

/**
 * Run with wireFormat.maxInactivityDuration=1000: an idle connection for ~3.5 s, so both
 * sides exchange KeepAliveInfo, then a send/receive.
 */
public class KeepAlive {
    public static void main(String[] args) {
        Cap.main("KeepAlive", args, () -> {
            Connection c = Cap.factory().createConnection();
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue(Cap.name("keepalive"));
            MessageConsumer mc = s.createConsumer(q);
            Cap.sleep(3500);
            s.createProducer(q).send(s.createTextMessage("still alive"));
            Cap.expectText(mc, "still alive");
            c.close();
        });
    }
}
