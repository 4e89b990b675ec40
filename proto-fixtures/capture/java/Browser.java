import java.util.Enumeration;
import javax.jms.*;

/** A QueueBrowser (and one with a selector) over a queue holding three messages; then drain it. */
public class Browser {
    public static void main(String[] args) {
        Cap.main("Browser", args, () -> {
            Connection c = Cap.factory().createConnection();
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue(Cap.name("browse"));
            MessageProducer p = s.createProducer(q);
            for (int i = 1; i <= 3; i++) {
                TextMessage m = s.createTextMessage("browse-" + i);
                m.setIntProperty("n", i);
                p.send(m);
            }
            int seen = 0;
            QueueBrowser b = s.createBrowser(q);
            Enumeration<?> e = b.getEnumeration();
            while (e.hasMoreElements()) {
                TextMessage m = (TextMessage) e.nextElement();
                seen++;
                Cap.eq("browse-" + seen, m.getText(), "browse order");
            }
            b.close();
            Cap.eq(3, seen, "browsed count");

            QueueBrowser bs = s.createBrowser(q, "n > 1");
            int sel = 0;
            for (Enumeration<?> e2 = bs.getEnumeration(); e2.hasMoreElements(); e2.nextElement()) sel++;
            bs.close();
            Cap.eq(2, sel, "browsed with selector");

            MessageConsumer mc = s.createConsumer(q);
            for (int i = 1; i <= 3; i++) Cap.expectText(mc, "browse-" + i);
            c.close();
        });
    }
}
