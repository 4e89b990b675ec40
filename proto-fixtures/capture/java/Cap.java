import java.util.Arrays;
import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.RedeliveryPolicy;

/**
 * Shared helpers for the OpenWire capture scenarios. Every scenario:
 *   java -cp ... Scenario URL [TAG]
 * URL is the full ActiveMQ client URL (pointing at the recording proxy); TAG (default "x")
 * is appended to destination names so runs of the same scenario in different encodings
 * against the same broker never see each other's messages.
 * A watchdog exits with status 3 if the scenario runs longer than cap.timeout.s (default 60).
 */
final class Cap {
    static String URL;
    static String TAG = "x";

    interface Body { void run() throws Exception; }

    static void main(String name, String[] args, Body body) {
        if (args.length < 1) {
            System.err.println("usage: " + name + " URL [TAG]");
            System.exit(64);
        }
        URL = args[0];
        if (args.length > 1) TAG = args[1];
        long limit = Long.getLong("cap.timeout.s", 60L);
        Thread wd = new Thread(() -> {
            try { Thread.sleep(limit * 1000L); } catch (InterruptedException e) { return; }
            System.err.println(name + ": watchdog: still running after " + limit + "s, exiting");
            Runtime.getRuntime().halt(3);
        }, "watchdog");
        wd.setDaemon(true);
        wd.start();
        try {
            body.run();
            System.out.println(name + ": OK");
            System.out.flush();
            System.exit(0);
        } catch (Throwable t) {
            System.err.println(name + ": FAILED: " + t);
            t.printStackTrace();
            System.exit(1);
        }
    }

    static String name(String base) { return "ferrum." + base + "." + TAG; }

    static ActiveMQConnectionFactory factory() { return factory(URL); }

    static ActiveMQConnectionFactory factory(String url) {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(url);
        f.setTrustAllPackages(true);
        return f;
    }

    /** Redelivery without client-side delays (the defaults would add 1 s per rollback). */
    static void fastRedelivery(ActiveMQConnectionFactory f, int maxRedeliveries) {
        RedeliveryPolicy p = f.getRedeliveryPolicy();
        p.setInitialRedeliveryDelay(0);
        p.setRedeliveryDelay(0);
        p.setMaximumRedeliveries(maxRedeliveries);
    }

    static Message recv(MessageConsumer c, String what) throws JMSException { return recv(c, 10000, what); }

    static Message recv(MessageConsumer c, long ms, String what) throws JMSException {
        Message m = c.receive(ms);
        if (m == null) throw new AssertionError("timed out waiting for " + what);
        return m;
    }

    static String text(MessageConsumer c, String what) throws JMSException {
        Message m = recv(c, what);
        if (!(m instanceof TextMessage)) throw new AssertionError(what + ": not a TextMessage: " + m);
        return ((TextMessage) m).getText();
    }

    static void expectText(MessageConsumer c, String expected) throws JMSException {
        String got = text(c, "'" + expected + "'");
        check(expected.equals(got), "expected '" + expected + "', got '" + got + "'");
    }

    static void expectNone(MessageConsumer c, long ms, String what) throws JMSException {
        Message m = c.receive(ms);
        if (m != null) throw new AssertionError("unexpected message (" + what + "): " + m);
    }

    static void check(boolean cond, String msg) {
        if (!cond) throw new AssertionError("check failed: " + msg);
    }

    static void eq(Object expected, Object actual, String what) {
        boolean same = (expected instanceof byte[] && actual instanceof byte[])
            ? Arrays.equals((byte[]) expected, (byte[]) actual)
            : (expected == null ? actual == null : expected.equals(actual));
        check(same, what + ": expected " + show(expected) + ", got " + show(actual));
    }

    private static String show(Object o) {
        if (o instanceof byte[]) return Arrays.toString((byte[]) o);
        if (o instanceof String && ((String) o).length() > 80) return "String(len=" + ((String) o).length() + ")";
        return String.valueOf(o);
    }

    static void sleep(long ms) {
        try { Thread.sleep(ms); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }

    private Cap() {}
}
