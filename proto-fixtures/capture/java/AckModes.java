import javax.jms.*;
import org.apache.activemq.ActiveMQSession;

/** One session per acknowledge mode: AUTO, CLIENT, DUPS_OK, INDIVIDUAL, transacted. */
public class AckModes {
    static void run(Connection c, String label, boolean transacted, int mode) throws JMSException {
        Session s = c.createSession(transacted, mode);
        Queue q = s.createQueue(Cap.name("ack." + label));
        MessageProducer p = s.createProducer(q);
        for (int i = 1; i <= 3; i++) p.send(s.createTextMessage(label + "-" + i));
        if (transacted) s.commit();
        MessageConsumer mc = s.createConsumer(q);
        Message[] got = new Message[3];
        for (int i = 0; i < 3; i++) {
            got[i] = Cap.recv(mc, label + " #" + (i + 1));
            Cap.eq(label + "-" + (i + 1), ((TextMessage) got[i]).getText(), label + " order");
        }
        switch (label) {
            case "client": got[1].acknowledge(); break; // acknowledges all three
            case "individual": got[1].acknowledge(); got[0].acknowledge(); got[2].acknowledge(); break;
            case "transacted": s.commit(); break;
            default: break;
        }
        mc.close();
        // nothing may be left
        MessageConsumer check = s.createConsumer(q);
        Cap.expectNone(check, 300, label + " leftovers");
        check.close();
        s.close();
    }

    public static void main(String[] args) {
        Cap.main("AckModes", args, () -> {
            Connection c = Cap.factory().createConnection();
            c.start();
            run(c, "auto", false, Session.AUTO_ACKNOWLEDGE);
            run(c, "client", false, Session.CLIENT_ACKNOWLEDGE);
            run(c, "dupsok", false, Session.DUPS_OK_ACKNOWLEDGE);
            run(c, "individual", false, ActiveMQSession.INDIVIDUAL_ACKNOWLEDGE);
            run(c, "transacted", true, Session.SESSION_TRANSACTED);
            c.close();
        });
    }
}
