import javax.jms.*;

/**
 * Broker-side failures answered with ExceptionResponse: a second connection using a
 * clientID that is already connected (InvalidClientIDException), and unsubscribing a
 * durable subscription that does not exist.
 */
public class ErrorResponses {
    public static void main(String[] args) {
        Cap.main("ErrorResponses", args, () -> {
            String id = Cap.name("dup-client");
            Connection c1 = Cap.factory().createConnection();
            c1.setClientID(id);
            c1.start();

            Connection c2 = Cap.factory().createConnection();
            boolean refused = false;
            try {
                c2.setClientID(id);
                c2.start();
            } catch (InvalidClientIDException e) {
                refused = true;
                System.out.println("expected: " + e);
            }
            Cap.check(refused, "duplicate clientID must be refused");
            try { c2.close(); } catch (JMSException ignored) { }

            Session s = c1.createSession(false, Session.AUTO_ACKNOWLEDGE);
            boolean failed = false;
            try {
                s.unsubscribe("no-such-subscription");
            } catch (JMSException e) {
                failed = true;
                System.out.println("expected: " + e);
            }
            Cap.check(failed, "unsubscribe of an unknown subscription must fail");
            c1.close();
        });
    }
}
