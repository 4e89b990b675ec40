import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.apache.activemq.command.ActiveMQQueue;
import org.apache.activemq.command.ActiveMQTextMessage;
import org.apache.activemq.command.MessageId;
import org.apache.activemq.filter.BooleanExpression;
import org.apache.activemq.filter.MessageEvaluationContext;
import org.apache.activemq.selector.SelectorParser;

/**
 * ActiveMQ's own selector code as an oracle: reads one case per line on
 * stdin and answers, per line, what ActiveMQ's SelectorParser and filter
 * classes (from the activemq-client jar the broker uses) decide.
 *
 * A case is tab-separated: the selector, then the message's fields, each
 * KIND:NAME=VALUE. Property kinds: s string, z boolean, y byte, h short,
 * i int, l long, f float, d double. H sets a header: type, correlation,
 * priority, persistent, redeliveries, timestamp, expiration, replyto
 * (a queue name), group, groupseq.
 *
 * Answers: 1 selected, 0 not selected, P<why> the selector does not parse,
 * X<why> evaluating it threw (the message is not selected), S<why> the case
 * itself is bad.
 */
public class SelectorOracle {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            out.println(oneLine(judge(line.split("\t", -1))));
            out.flush();
        }
    }

    static String oneLine(String s) {
        return s.replace('\n', ' ').replace('\r', ' ');
    }

    static String judge(String[] f) {
        ActiveMQTextMessage m = new ActiveMQTextMessage();
        try {
            m.setMessageId(new MessageId("ID:oracle-1-1-1:1:1:1", 1));
            m.setDestination(new ActiveMQQueue("oracle"));
            m.setPersistent(true);
            m.setPriority((byte) 4);
            for (int i = 1; i < f.length; i++) {
                set(m, f[i]);
            }
        } catch (Exception e) {
            return "S" + e;
        }
        BooleanExpression e;
        // The parser caches by selector text, and a convert_string_expressions:
        // selector is cached under its text without the prefix: start clean.
        SelectorParser.clearCache();
        try {
            e = SelectorParser.parse(f[0]);
        } catch (Exception ex) {
            Throwable why = ex.getCause() != null ? ex.getCause() : ex;
            return "P" + why.getClass().getSimpleName() + ": " + why.getMessage();
        }
        MessageEvaluationContext ctx = new MessageEvaluationContext();
        ctx.setMessageReference(m);
        try {
            return e.matches(ctx) ? "1" : "0";
        } catch (Throwable t) {
            return "X" + t;
        }
    }

    static void set(ActiveMQTextMessage m, String spec) throws Exception {
        int eq = spec.indexOf('=');
        String name = spec.substring(2, eq);
        String v = spec.substring(eq + 1);
        if (spec.charAt(0) == 'H') {
            header(m, name, v);
        } else {
            setProperty(m, spec.charAt(0), name, v);
        }
    }

    /** A typed property of KIND (see the class comment); SelectorWire uses it too. */
    static void setProperty(javax.jms.Message m, char kind, String name, String v) throws Exception {
        switch (kind) {
            case 's': m.setStringProperty(name, v); break;
            case 'z': m.setBooleanProperty(name, Boolean.parseBoolean(v)); break;
            case 'y': m.setByteProperty(name, Byte.parseByte(v)); break;
            case 'h': m.setShortProperty(name, Short.parseShort(v)); break;
            case 'i': m.setIntProperty(name, Integer.parseInt(v)); break;
            case 'l': m.setLongProperty(name, Long.parseLong(v)); break;
            case 'f': m.setFloatProperty(name, Float.parseFloat(v)); break;
            case 'd': m.setDoubleProperty(name, Double.parseDouble(v)); break;
            default: throw new IllegalArgumentException("unknown kind " + kind);
        }
    }

    static void header(ActiveMQTextMessage m, String name, String v) throws Exception {
        switch (name) {
            case "type": m.setJMSType(v); break;
            case "correlation": m.setJMSCorrelationID(v); break;
            case "priority": m.setJMSPriority(Integer.parseInt(v)); break;
            case "persistent": m.setPersistent(Boolean.parseBoolean(v)); break;
            case "redeliveries": m.setRedeliveryCounter(Integer.parseInt(v)); break;
            case "timestamp": m.setJMSTimestamp(Long.parseLong(v)); break;
            case "expiration": m.setJMSExpiration(Long.parseLong(v)); break;
            case "replyto": m.setJMSReplyTo(new ActiveMQQueue(v)); break;
            case "group": m.setGroupID(v); break;
            case "groupseq": m.setGroupSequence(Integer.parseInt(v)); break;
            default: throw new IllegalArgumentException("unknown header " + name);
        }
    }
}
