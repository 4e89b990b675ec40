import java.io.*;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import org.apache.activemq.command.*;
import org.apache.activemq.filter.BooleanExpression;
import org.apache.activemq.openwire.OpenWireFormat;
import org.apache.activemq.util.ByteSequence;

/**
 * Decodes the recorded OpenWire streams with the reference codec (activemq-client 5.17.2
 * OpenWireFormat) to check them and to list their frames.
 *
 *   java -cp build:JARS OwDump [--check] [--listings] DIR|FILE.c2s.bin ...
 *
 * For every <base>.c2s.bin (+ <base>.s2c.bin) it reads the first frame of each direction
 * (WireFormatInfo, always loose-encoded), negotiates exactly as the peers did
 * (OpenWireFormat.renegotiateWireFormat: min version, tight/cache/sizePrefix only if both
 * sides asked), then decodes every following frame of each direction with its own
 * OpenWireFormat instance (the marshalling cache is per direction).
 * --check     fail (exit 1) unless both streams are non-empty, decode completely, every frame's
 *             size prefix matches the bytes the codec consumed, and the c2s stream starts with
 *             a WireFormatInfo frame (4-byte size, type 1, magic "ActiveMQ").
 * --listings  write <base>.<dir>.frames.txt: one line per frame (offset, frame length, command).
 */
public class OwDump {
    static final String[] ACK = {"DELIVERED", "POISON", "STANDARD", "REDELIVERED", "INDIVIDUAL", "UNMATCHED", "EXPIRED"};
    static final String[] TX = {"BEGIN", "PREPARE", "COMMIT_ONE_PHASE", "COMMIT_TWO_PHASE", "ROLLBACK", "RECOVER", "FORGET", "END"};

    public static void main(String[] args) throws Exception {
        boolean check = false, listings = false;
        List<Path> inputs = new ArrayList<>();
        for (String a : args) {
            if (a.equals("--check")) check = true;
            else if (a.equals("--listings")) listings = true;
            else inputs.add(Paths.get(a));
        }
        List<Path> c2s = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isDirectory(p)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(p, "*.c2s.bin")) { for (Path f : ds) c2s.add(f); }
            } else c2s.add(p);
        }
        Collections.sort(c2s);
        int bad = 0;
        for (Path f : c2s) {
            String base = f.getFileName().toString().replaceFirst("\\.c2s\\.bin$", "");
            Path s2c = f.resolveSibling(base + ".s2c.bin");
            List<String> problems = new ArrayList<>();
            try {
                bad += dumpPair(f.getParent(), base, f, s2c, listings, problems) ? 0 : 1;
            } catch (Exception e) {
                problems.add("exception: " + e);
                bad++;
            }
            for (String pr : problems) System.out.println("  PROBLEM " + base + ": " + pr);
        }
        System.out.println(c2s.size() + " connection(s), " + bad + " with problems");
        if (check && (bad > 0 || c2s.isEmpty())) System.exit(1);
    }

    static final class Frame { int offset, length; Object cmd; String error; }

    static boolean dumpPair(Path dir, String base, Path c2sFile, Path s2cFile, boolean listings, List<String> problems) throws Exception {
        byte[] c2s = Files.readAllBytes(c2sFile);
        byte[] s2c = Files.exists(s2cFile) ? Files.readAllBytes(s2cFile) : new byte[0];
        if (c2s.length == 0) problems.add("c2s stream is empty");
        if (s2c.length == 0) problems.add("s2c stream is empty");
        if (c2s.length >= 13) {
            boolean sizeOk = ByteBuffer.wrap(c2s, 0, 4).getInt() > 0;
            String magic = new String(c2s, 5, 8, StandardCharsets.ISO_8859_1);
            if (!sizeOk || c2s[4] != 1 || !magic.equals("ActiveMQ"))
                problems.add("c2s does not start with a size-prefixed WireFormatInfo (type " + c2s[4] + ", magic '" + magic + "')");
        } else if (c2s.length > 0) problems.add("c2s shorter than a WireFormatInfo header");
        if (!problems.isEmpty()) return false;

        WireFormatInfo cInfo = firstInfo(c2s), sInfo = firstInfo(s2c);
        if (cInfo == null || sInfo == null) { problems.add("first frame is not WireFormatInfo in both directions"); return false; }
        List<Frame> cf = decode(c2s, cInfo, sInfo);
        List<Frame> sf = decode(s2c, sInfo, cInfo);
        boolean ok = true;
        for (Frame fr : cf) if (fr.error != null) { problems.add("c2s @" + fr.offset + ": " + fr.error); ok = false; }
        for (Frame fr : sf) if (fr.error != null) { problems.add("s2c @" + fr.offset + ": " + fr.error); ok = false; }
        OpenWireFormat neg = negotiated(cInfo, sInfo);
        String hdr = "version=" + neg.getVersion() + " tightEncoding=" + neg.isTightEncodingEnabled() + " cache=" + neg.isCacheEnabled()
            + " sizePrefixDisabled=" + neg.isSizePrefixDisabled() + " stackTrace=" + neg.isStackTraceEnabled();
        System.out.println(base + ": c2s " + c2s.length + " B / " + cf.size() + " frames, s2c " + s2c.length + " B / " + sf.size() + " frames; negotiated " + hdr + (ok ? "" : "  (ERRORS)"));
        if (listings) {
            write(dir.resolve(base + ".c2s.frames.txt"), base + ".c2s.bin", c2s.length, hdr, cf);
            write(dir.resolve(base + ".s2c.frames.txt"), base + ".s2c.bin", s2c.length, hdr, sf);
        }
        return ok;
    }

    static WireFormatInfo firstInfo(byte[] data) {
        try {
            Object o = new OpenWireFormat(OpenWireFormat.DEFAULT_WIRE_VERSION).unmarshal(new DataInputStream(new ByteArrayInputStream(data)));
            return o instanceof WireFormatInfo ? (WireFormatInfo) o : null;
        } catch (IOException e) {
            return null;
        }
    }

    static OpenWireFormat negotiated(WireFormatInfo mine, WireFormatInfo peer) throws IOException {
        OpenWireFormat wf = new OpenWireFormat(OpenWireFormat.DEFAULT_WIRE_VERSION);
        wf.setPreferedWireFormatInfo(copy(mine));
        wf.renegotiateWireFormat(copy(peer));
        return wf;
    }

    /** renegotiateWireFormat mutates its argument: work on copies (marshal + unmarshal). */
    static WireFormatInfo copy(WireFormatInfo i) throws IOException {
        OpenWireFormat wf = new OpenWireFormat(OpenWireFormat.DEFAULT_WIRE_VERSION);
        return (WireFormatInfo) wf.unmarshal(wf.marshal(i));
    }

    static List<Frame> decode(byte[] data, WireFormatInfo sender, WireFormatInfo peer) throws IOException {
        List<Frame> out = new ArrayList<>();
        ByteArrayInputStream bin = new ByteArrayInputStream(data);
        DataInputStream in = new DataInputStream(bin);
        OpenWireFormat first = new OpenWireFormat(OpenWireFormat.DEFAULT_WIRE_VERSION);
        OpenWireFormat wf = negotiated(sender, peer);
        boolean isFirst = true;
        while (bin.available() > 0) {
            Frame f = new Frame();
            f.offset = data.length - bin.available();
            out.add(f);
            if (bin.available() < 5) { f.error = "truncated frame header (" + bin.available() + " bytes left)"; break; }
            int size = ByteBuffer.wrap(data, f.offset, 4).getInt();
            try {
                f.cmd = (isFirst ? first : wf).unmarshal(in);
            } catch (Exception e) {
                f.error = "decode failed: " + e;
                break;
            }
            f.length = data.length - bin.available() - f.offset;
            if (f.length != size + 4) { f.error = "size prefix " + size + " but codec consumed " + (f.length - 4); break; }
            isFirst = false;
        }
        return out;
    }

    static void write(Path p, String file, int total, String hdr, List<Frame> frames) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(file).append(": ").append(total).append(" bytes, ").append(frames.size()).append(" frames\n");
        sb.append("# decoded with activemq-client 5.17.2 OpenWireFormat; first frame loose, then negotiated ").append(hdr).append('\n');
        sb.append("# offset length command\n");
        for (Frame f : frames) {
            sb.append(f.offset).append(' ').append(f.length).append(' ');
            sb.append(f.error != null ? "ERROR " + f.error : describe(f.cmd));
            sb.append('\n');
        }
        Files.write(p, esc(sb.toString()).getBytes(StandardCharsets.US_ASCII));
    }

    // ------------------------------------------------------------------ formatting
    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c == '\n' || (c >= 0x20 && c < 0x7f)) b.append(c);
            else b.append(String.format("\\u%04x", (int) c));
        }
        return b.toString();
    }

    static String t(Object o) {
        if (o == null) return "null";
        String s = o instanceof BrokerId[] ? Arrays.toString((BrokerId[]) o) : String.valueOf(o);
        s = s.replace('\n', ' ').replace('\r', ' ');
        return s.length() > 120 ? s.substring(0, 117) + "...(" + s.length() + " chars)" : s;
    }

    static String name(Object o) { return o == null ? "null" : o.getClass().getSimpleName(); }

    static String head(Command c) {
        return name(c) + " cid=" + c.getCommandId() + (c.isResponseRequired() ? " rr" : "");
    }

    static String describe(Object o) {
        if (!(o instanceof Command)) return name(o) + " " + t(o);
        Command c = (Command) o;
        StringBuilder b = new StringBuilder(head(c));
        try {
            if (c instanceof WireFormatInfo) {
                WireFormatInfo w = (WireFormatInfo) c;
                b.append(" magic=").append(new String(w.getMagic(), StandardCharsets.US_ASCII)).append(" version=").append(w.getVersion());
                b.append(" props=").append(new TreeMap<>(w.getProperties()));
            } else if (c instanceof BrokerInfo) {
                BrokerInfo i = (BrokerInfo) c;
                b.append(" brokerName=").append(i.getBrokerName()).append(" brokerId=").append(i.getBrokerId())
                 .append(" url=").append(i.getBrokerURL()).append(" network=").append(i.isNetworkConnection())
                 .append(" duplex=").append(i.isDuplexConnection()).append(" peers=").append(i.getPeerBrokerInfos() == null ? 0 : i.getPeerBrokerInfos().length)
                 .append(" faultTolerant=").append(i.isFaultTolerantConfiguration()).append(" connectionId=").append(i.getConnectionId());
                if (i.getNetworkProperties() != null) b.append(" networkProperties=").append(t(i.getNetworkProperties()));
            } else if (c instanceof ConnectionInfo) {
                ConnectionInfo i = (ConnectionInfo) c;
                b.append(" connectionId=").append(i.getConnectionId()).append(" clientId=").append(i.getClientId());
                if (i.getUserName() != null) b.append(" user=").append(i.getUserName());
                if (i.getBrokerPath() != null) b.append(" brokerPath=").append(t(i.getBrokerPath()));
                b.append(" brokerMasterConnector=").append(i.isBrokerMasterConnector()).append(" manageable=").append(i.isManageable())
                 .append(" faultTolerant=").append(i.isFaultTolerant()).append(" failoverReconnect=").append(i.isFailoverReconnect());
            } else if (c instanceof SessionInfo) {
                b.append(" sessionId=").append(((SessionInfo) c).getSessionId());
            } else if (c instanceof ConsumerInfo) {
                b.append(' ').append(consumer((ConsumerInfo) c));
            } else if (c instanceof ProducerInfo) {
                ProducerInfo i = (ProducerInfo) c;
                b.append(" producerId=").append(i.getProducerId()).append(" dest=").append(i.getDestination())
                 .append(" windowSize=").append(i.getWindowSize()).append(" dispatchAsync=").append(i.isDispatchAsync());
                if (i.getBrokerPath() != null) b.append(" brokerPath=").append(t(i.getBrokerPath()));
            } else if (c instanceof TransactionInfo) {
                TransactionInfo i = (TransactionInfo) c;
                b.append(" type=").append(i.getType() >= 0 && i.getType() < TX.length ? TX[i.getType()] : String.valueOf(i.getType()))
                 .append(" txId=").append(t(i.getTransactionId())).append(" connectionId=").append(i.getConnectionId());
            } else if (c instanceof DestinationInfo) {
                DestinationInfo i = (DestinationInfo) c;
                b.append(i.isAddOperation() ? " ADD" : " REMOVE").append(" dest=").append(i.getDestination()).append(" timeout=").append(i.getTimeout());
            } else if (c instanceof RemoveSubscriptionInfo) {
                RemoveSubscriptionInfo i = (RemoveSubscriptionInfo) c;
                b.append(" clientId=").append(i.getClientId()).append(" subscription=").append(i.getSubscriptionName());
            } else if (c instanceof RemoveInfo) {
                RemoveInfo i = (RemoveInfo) c;
                b.append(" objectId=").append(name(i.getObjectId())).append(':').append(i.getObjectId())
                 .append(" lastDeliveredSequenceId=").append(i.getLastDeliveredSequenceId());
            } else if (c instanceof ProducerAck) {
                ProducerAck a = (ProducerAck) c;
                b.append(" producerId=").append(a.getProducerId()).append(" size=").append(a.getSize());
            } else if (c instanceof MessagePull) {
                MessagePull m = (MessagePull) c;
                b.append(" consumerId=").append(m.getConsumerId()).append(" dest=").append(m.getDestination()).append(" timeout=").append(m.getTimeout());
            } else if (c instanceof MessageDispatch) {
                MessageDispatch d = (MessageDispatch) c;
                b.append(" consumerId=").append(d.getConsumerId()).append(" dest=").append(d.getDestination())
                 .append(" redeliveryCounter=").append(d.getRedeliveryCounter()).append(" message=");
                b.append(d.getMessage() == null ? "null" : "{" + message(d.getMessage()) + "}");
            } else if (c instanceof MessageAck) {
                MessageAck a = (MessageAck) c;
                b.append(" type=").append(a.getAckType() >= 0 && a.getAckType() < ACK.length ? ACK[a.getAckType()] : String.valueOf(a.getAckType()))
                 .append(" consumerId=").append(a.getConsumerId()).append(" dest=").append(a.getDestination())
                 .append(" count=").append(a.getMessageCount()).append(" first=").append(a.getFirstMessageId()).append(" last=").append(a.getLastMessageId());
                if (a.getTransactionId() != null) b.append(" txId=").append(t(a.getTransactionId()));
                if (a.getPoisonCause() != null) b.append(" poisonCause=").append(t(a.getPoisonCause()));
            } else if (c instanceof Message) {
                b.append(' ').append(message((Message) c));
            } else if (c instanceof ExceptionResponse) {
                ExceptionResponse r = (ExceptionResponse) c;
                Throwable e = r.getException();
                b.append(" correlationId=").append(r.getCorrelationId()).append(" exception=").append(t(e))
                 .append(" stackFrames=").append(e == null ? 0 : e.getStackTrace().length);
            } else if (c instanceof IntegerResponse) {
                IntegerResponse r = (IntegerResponse) c;
                b.append(" correlationId=").append(r.getCorrelationId()).append(" result=").append(r.getResult());
            } else if (c instanceof DataArrayResponse) {
                DataArrayResponse r = (DataArrayResponse) c;
                b.append(" correlationId=").append(r.getCorrelationId()).append(" data=");
                DataStructure[] d = r.getData();
                List<String> items = new ArrayList<>();
                if (d != null) for (DataStructure x : d) items.add(name(x) + ":" + t(x));
                b.append(d == null ? "null" : items.toString());
            } else if (c instanceof DataResponse) {
                DataResponse r = (DataResponse) c;
                b.append(" correlationId=").append(r.getCorrelationId()).append(" data=").append(name(r.getData())).append(':').append(t(r.getData()));
            } else if (c instanceof Response) {
                b.append(" correlationId=").append(((Response) c).getCorrelationId());
            } else if (c instanceof BrokerSubscriptionInfo) {
                BrokerSubscriptionInfo i = (BrokerSubscriptionInfo) c;
                b.append(" brokerName=").append(i.getBrokerName()).append(" brokerId=").append(i.getBrokerId()).append(" subscriptions=");
                List<String> subs = new ArrayList<>();
                if (i.getSubscriptionInfos() != null) for (ConsumerInfo ci : i.getSubscriptionInfos()) subs.add("{" + consumer(ci) + "}");
                b.append(subs);
            } else if (c instanceof ConnectionControl) {
                ConnectionControl x = (ConnectionControl) c;
                b.append(" close=").append(x.isClose()).append(" exit=").append(x.isExit()).append(" faultTolerant=").append(x.isFaultTolerant())
                 .append(" resume=").append(x.isResume()).append(" suspend=").append(x.isSuspend()).append(" connectedBrokers=").append(t(x.getConnectedBrokers()))
                 .append(" reconnectTo=").append(t(x.getReconnectTo())).append(" rebalance=").append(x.isRebalanceConnection())
                 .append(" token=").append(x.getToken() == null ? "null" : x.getToken().length + "B");
            } else if (c instanceof ConsumerControl) {
                ConsumerControl x = (ConsumerControl) c;
                b.append(" consumerId=").append(x.getConsumerId()).append(" dest=").append(x.getDestination()).append(" prefetch=").append(x.getPrefetch())
                 .append(" close=").append(x.isClose()).append(" flush=").append(x.isFlush()).append(" start=").append(x.isStart()).append(" stop=").append(x.isStop());
            } else if (c instanceof ConnectionError) {
                ConnectionError x = (ConnectionError) c;
                b.append(" connectionId=").append(x.getConnectionId()).append(" exception=").append(t(x.getException()));
            } else if (c instanceof KeepAliveInfo || c instanceof ShutdownInfo) {
                // no fields
            } else {
                b.append(' ').append(t(c));
            }
        } catch (Exception e) {
            b.append(" (describe failed: ").append(e).append(')');
        }
        return b.toString();
    }

    static String consumer(ConsumerInfo i) {
        StringBuilder b = new StringBuilder();
        b.append("consumerId=").append(i.getConsumerId()).append(" dest=").append(i.getDestination()).append(" prefetch=").append(i.getPrefetchSize());
        if (i.getSelector() != null) b.append(" selector=\"").append(i.getSelector()).append('"');
        if (i.getSubscriptionName() != null) b.append(" subscriptionName=").append(i.getSubscriptionName());
        if (i.getClientId() != null) b.append(" clientId=").append(i.getClientId());
        if (i.isNoLocal()) b.append(" noLocal");
        if (i.isBrowser()) b.append(" browser");
        if (i.isExclusive()) b.append(" exclusive");
        if (i.isRetroactive()) b.append(" retroactive");
        if (i.isNetworkSubscription()) b.append(" networkSubscription");
        if (i.isDispatchAsync()) b.append(" dispatchAsync");
        if (i.getPriority() != 0) b.append(" priority=").append(i.getPriority());
        if (i.getBrokerPath() != null) b.append(" brokerPath=").append(t(i.getBrokerPath()));
        BooleanExpression p = i.getAdditionalPredicate();
        if (p != null) {
            b.append(" additionalPredicate=").append(name(p));
            if (p instanceof NetworkBridgeFilter) {
                NetworkBridgeFilter n = (NetworkBridgeFilter) p;
                b.append("{networkBrokerId=").append(n.getNetworkBrokerId()).append(" messageTTL=").append(n.getMessageTTL())
                 .append(" consumerTTL=").append(n.getConsumerTTL()).append('}');
            }
        }
        if (i.getNetworkConsumerPath() != null) b.append(" networkConsumerPath=").append(Arrays.toString(i.getNetworkConsumerPath()));
        return b.toString();
    }

    static String message(Message m) throws IOException {
        StringBuilder b = new StringBuilder(name(m));
        b.append(" id=").append(m.getMessageId()).append(" dest=").append(m.getDestination())
         .append(m.isPersistent() ? " persistent" : " non-persistent").append(" priority=").append(m.getPriority());
        if (m.getExpiration() != 0) b.append(" expiration=").append(m.getExpiration());
        if (m.getCorrelationId() != null) b.append(" correlationId=").append(t(m.getCorrelationId()));
        if (m.getType() != null) b.append(" type=").append(t(m.getType()));
        if (m.getReplyTo() != null) b.append(" replyTo=").append(m.getReplyTo());
        if (m.getGroupID() != null) b.append(" groupID=").append(m.getGroupID()).append(" groupSeq=").append(m.getGroupSequence());
        if (m.getTransactionId() != null) b.append(" txId=").append(t(m.getTransactionId()));
        if (m.getRedeliveryCounter() != 0) b.append(" redeliveryCounter=").append(m.getRedeliveryCounter());
        if (m.getBrokerPath() != null) b.append(" brokerPath=").append(t(m.getBrokerPath()));
        if (m.getOriginalDestination() != null) b.append(" originalDest=").append(m.getOriginalDestination());
        if (m.getTargetConsumerId() != null) b.append(" targetConsumerId=").append(m.getTargetConsumerId());
        if (m.isCompressed()) b.append(" compressed");
        if (m.getUserID() != null) b.append(" userID=").append(m.getUserID());
        ByteSequence content = m.getContent();
        b.append(" content=").append(content == null ? 0 : content.getLength()).append("B");
        ByteSequence props = m.getMarshalledProperties();
        if (props != null) {
            Map<String, Object> pm = new TreeMap<>(m.getProperties());
            List<String> ps = new ArrayList<>();
            for (Map.Entry<String, Object> e : pm.entrySet())
                ps.add(e.getKey() + ":" + (e.getValue() == null ? "null" : e.getValue().getClass().getSimpleName()) + "=" + t(e.getValue()));
            b.append(" props=").append(t(ps.toString().length() > 400 ? ps.size() + " properties" : ps.toString()).replace("...(", "...("));
        }
        if (m.getDataStructure() != null) {
            DataStructure d = m.getDataStructure();
            b.append(" dataStructure=").append(name(d));
            if (d instanceof ConsumerInfo) b.append("{").append(consumer((ConsumerInfo) d)).append("}");
            else if (d instanceof DestinationInfo) b.append("{").append(((DestinationInfo) d).isAddOperation() ? "ADD " : "REMOVE ").append(((DestinationInfo) d).getDestination()).append("}");
            else if (d instanceof ProducerInfo) b.append("{producerId=").append(((ProducerInfo) d).getProducerId()).append(" dest=").append(((ProducerInfo) d).getDestination()).append("}");
            else if (d instanceof RemoveInfo) b.append("{objectId=").append(((RemoveInfo) d).getObjectId()).append("}");
            else if (d instanceof ConnectionInfo) b.append("{connectionId=").append(((ConnectionInfo) d).getConnectionId()).append("}");
            else if (d instanceof BrokerInfo) b.append("{brokerName=").append(((BrokerInfo) d).getBrokerName()).append("}");
        }
        return b.toString();
    }
}
