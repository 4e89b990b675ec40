import java.util.HashMap;
import javax.jms.*;

/**
 * Every JMS message type and every property type. Run with and without
 * jms.useCompression=true, in tight and loose encoding.
 */
public class MessageTypes {
    static final String UNICODE = "h\u00e9llo \u2713 \ud83d\ude00 nul[\u0000] end";

    static byte[] allBytes() {
        byte[] b = new byte[256];
        for (int i = 0; i < 256; i++) b[i] = (byte) i;
        return b;
    }

    static String big() {
        StringBuilder sb = new StringBuilder(70000);
        for (int i = 0; sb.length() < 70000; i++) sb.append("big-string-").append(i).append(' ');
        return sb.toString(); // > 64 KiB, ASCII
    }

    static String escape(String v) {
        StringBuilder b = new StringBuilder();
        for (char ch : v.toCharArray()) b.append(ch >= 0x20 && ch < 0x7f ? String.valueOf(ch) : String.format("\\u%04x", (int) ch));
        return b.toString();
    }

    public static void main(String[] args) {
        Cap.main("MessageTypes", args, () -> {
            Connection c = Cap.factory().createConnection();
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue(Cap.name("types"));
            MessageConsumer mc = s.createConsumer(q);
            MessageProducer p = s.createProducer(q);
            String bigString = big();

            // 1 TextMessage (non-ASCII, surrogate pair, NUL)
            p.send(s.createTextMessage(UNICODE));
            // 2 BytesMessage with a body (all 256 byte values + typed writes)
            BytesMessage bm = s.createBytesMessage();
            bm.writeBytes(allBytes());
            bm.writeInt(0x01020304);
            bm.writeUTF("utf in bytes");
            p.send(bm);
            // 3 BytesMessage without a body
            p.send(s.createBytesMessage());
            // 4 MapMessage with every type + a big string
            MapMessage mm = s.createMapMessage();
            mm.setBoolean("boolean", true);
            mm.setByte("byte", (byte) -7);
            mm.setShort("short", (short) -1234);
            mm.setChar("char", '\u20ac');
            mm.setInt("int", -123456789);
            mm.setLong("long", 0x0102030405060708L);
            mm.setFloat("float", 3.25f);
            mm.setDouble("double", -2.5e-300);
            mm.setString("string", UNICODE);
            mm.setBytes("bytes", new byte[] {0, 1, 2, (byte) 0xff});
            mm.setString("bigString", bigString);
            mm.setString("nullString", null);
            p.send(mm);
            // 5 StreamMessage with every type
            StreamMessage sm = s.createStreamMessage();
            sm.writeBoolean(false);
            sm.writeByte((byte) 127);
            sm.writeShort((short) 32767);
            sm.writeChar('Z');
            sm.writeInt(Integer.MIN_VALUE);
            sm.writeLong(Long.MAX_VALUE);
            sm.writeFloat(-0.5f);
            sm.writeDouble(Math.PI);
            sm.writeString("stream string");
            sm.writeBytes(new byte[] {9, 8, 7});
            sm.writeObject(null);
            p.send(sm);
            // 6 ObjectMessage with a HashMap, 7 with a String
            HashMap<String, Object> hm = new HashMap<>();
            hm.put("k1", "v1");
            hm.put("k2", 42);
            p.send(s.createObjectMessage(hm));
            p.send(s.createObjectMessage("a serialized java.lang.String"));
            // 8 plain Message with properties of every type
            Message pm = s.createMessage();
            pm.setBooleanProperty("pBoolean", true);
            pm.setByteProperty("pByte", (byte) 1);
            pm.setShortProperty("pShort", (short) 2);
            pm.setIntProperty("pInt", 3);
            pm.setLongProperty("pLong", 4L);
            pm.setFloatProperty("pFloat", 5.5f);
            pm.setDoubleProperty("pDouble", 6.25);
            pm.setStringProperty("pString", UNICODE);
            p.send(pm);
            // 9 TextMessage carrying every property type as well
            TextMessage tp = s.createTextMessage("text with properties");
            tp.setBooleanProperty("pBoolean", false);
            tp.setByteProperty("pByte", Byte.MIN_VALUE);
            tp.setShortProperty("pShort", Short.MIN_VALUE);
            tp.setIntProperty("pInt", Integer.MAX_VALUE);
            tp.setLongProperty("pLong", Long.MIN_VALUE);
            tp.setFloatProperty("pFloat", Float.MAX_VALUE);
            tp.setDoubleProperty("pDouble", Double.MIN_VALUE);
            tp.setStringProperty("pString", "plain");
            p.send(tp);

            // --- receive and verify ------------------------------------------------------------
            Cap.eq(UNICODE, ((TextMessage) Cap.recv(mc, "text")).getText(), "text");

            BytesMessage rb = (BytesMessage) Cap.recv(mc, "bytes");
            byte[] got = new byte[256];
            Cap.eq(256, rb.readBytes(got), "bytes length");
            Cap.eq(allBytes(), got, "bytes body");
            Cap.eq(0x01020304, rb.readInt(), "bytes int");
            Cap.eq("utf in bytes", rb.readUTF(), "bytes utf");

            BytesMessage re = (BytesMessage) Cap.recv(mc, "empty bytes");
            Cap.eq(0L, re.getBodyLength(), "empty bytes length");

            MapMessage rm = (MapMessage) Cap.recv(mc, "map");
            Cap.eq(true, rm.getBoolean("boolean"), "map boolean");
            Cap.eq((byte) -7, rm.getByte("byte"), "map byte");
            Cap.eq((short) -1234, rm.getShort("short"), "map short");
            Cap.eq('\u20ac', rm.getChar("char"), "map char");
            Cap.eq(-123456789, rm.getInt("int"), "map int");
            Cap.eq(0x0102030405060708L, rm.getLong("long"), "map long");
            Cap.eq(3.25f, rm.getFloat("float"), "map float");
            Cap.eq(-2.5e-300, rm.getDouble("double"), "map double");
            // Known 5.17.2 behaviour: a MapMessage string with a supplementary character or NUL
            // does not round-trip (modified UTF-8 written, standard UTF-8 read). Recorded, not asserted.
            String ms = rm.getString("string");
            if (!UNICODE.equals(ms)) System.out.println("note: map string did not round-trip: " + escape(ms));
            Cap.eq(new byte[] {0, 1, 2, (byte) 0xff}, rm.getBytes("bytes"), "map bytes");
            Cap.eq(bigString, rm.getString("bigString"), "map big string");
            Cap.eq(null, rm.getString("nullString"), "map null");

            StreamMessage rs = (StreamMessage) Cap.recv(mc, "stream");
            Cap.eq(false, rs.readBoolean(), "stream boolean");
            Cap.eq((byte) 127, rs.readByte(), "stream byte");
            Cap.eq((short) 32767, rs.readShort(), "stream short");
            Cap.eq('Z', rs.readChar(), "stream char");
            Cap.eq(Integer.MIN_VALUE, rs.readInt(), "stream int");
            Cap.eq(Long.MAX_VALUE, rs.readLong(), "stream long");
            Cap.eq(-0.5f, rs.readFloat(), "stream float");
            Cap.eq(Math.PI, rs.readDouble(), "stream double");
            Cap.eq("stream string", rs.readString(), "stream string");
            byte[] sb = new byte[3];
            Cap.eq(3, rs.readBytes(sb), "stream bytes len");
            Cap.eq(new byte[] {9, 8, 7}, sb, "stream bytes");
            Cap.eq(-1, rs.readBytes(sb), "stream bytes end");
            Cap.eq(null, rs.readObject(), "stream null");

            Cap.eq(hm, ((ObjectMessage) Cap.recv(mc, "object map")).getObject(), "object map");
            Cap.eq("a serialized java.lang.String", ((ObjectMessage) Cap.recv(mc, "object string")).getObject(), "object string");

            Message rp = Cap.recv(mc, "plain");
            Cap.check(!(rp instanceof TextMessage || rp instanceof BytesMessage || rp instanceof MapMessage
                || rp instanceof StreamMessage || rp instanceof ObjectMessage), "plain message type");
            Cap.eq(true, rp.getBooleanProperty("pBoolean"), "p boolean");
            Cap.eq((byte) 1, rp.getByteProperty("pByte"), "p byte");
            Cap.eq((short) 2, rp.getShortProperty("pShort"), "p short");
            Cap.eq(3, rp.getIntProperty("pInt"), "p int");
            Cap.eq(4L, rp.getLongProperty("pLong"), "p long");
            Cap.eq(5.5f, rp.getFloatProperty("pFloat"), "p float");
            Cap.eq(6.25, rp.getDoubleProperty("pDouble"), "p double");
            String ps = rp.getStringProperty("pString"); // same known behaviour as the map string
            if (!UNICODE.equals(ps)) System.out.println("note: string property did not round-trip: " + escape(ps));

            Message rt = Cap.recv(mc, "text with properties");
            Cap.eq("text with properties", ((TextMessage) rt).getText(), "text w/ props");
            Cap.eq(Long.MIN_VALUE, rt.getLongProperty("pLong"), "t long");
            Cap.eq(Double.MIN_VALUE, rt.getDoubleProperty("pDouble"), "t double");
            c.close();
        });
    }
}
