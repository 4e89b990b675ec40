import javax.jms.*;

/**
 * Request/reply across two connections through a temporary queue and a temporary topic.
 * Connection 1 (requester) creates the temp destinations and sends requests to a normal
 * queue with JMSReplyTo set; connection 2 (responder) answers to JMSReplyTo. The temp
 * destinations are deleted explicitly at the end (DestinationInfo remove).
 */
public class TempRequestReply {
    /** The client refuses to send to a temp destination until it saw the advisory: retry. */
    static void sendWithRetry(MessageProducer p, Destination d, Message m) throws Exception {
        for (int i = 0; ; i++) {
            try {
                p.send(d, m);
                return;
            } catch (InvalidDestinationException e) {
                if (i >= 50) throw e;
                Cap.sleep(100);
            }
        }
    }

    public static void main(String[] args) {
        Cap.main("TempRequestReply", args, () -> {
            Connection req = Cap.factory().createConnection();
            req.start();
            Connection rsp = Cap.factory().createConnection();
            rsp.start();

            Session rs = req.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue service = rs.createQueue(Cap.name("rr.service"));
            TemporaryQueue tq = rs.createTemporaryQueue();
            TemporaryTopic tt = rs.createTemporaryTopic();
            MessageConsumer tqc = rs.createConsumer(tq);
            MessageConsumer ttc = rs.createConsumer(tt);
            MessageProducer rp = rs.createProducer(service);

            Session ss = rsp.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer sc = ss.createConsumer(service);
            MessageProducer anon = ss.createProducer(null);

            int n = 0;
            for (Destination replyTo : new Destination[] {tq, tt}) {
                n++;
                TextMessage request = rs.createTextMessage("request-" + n);
                request.setJMSReplyTo(replyTo);
                request.setJMSCorrelationID("rr-" + n);
                rp.send(request);

                Message in = Cap.recv(sc, "request-" + n);
                TextMessage reply = ss.createTextMessage("reply to " + ((TextMessage) in).getText());
                reply.setJMSCorrelationID(in.getJMSCorrelationID());
                sendWithRetry(anon, in.getJMSReplyTo(), reply);

                Message out = Cap.recv(n == 1 ? tqc : ttc, "reply-" + n);
                Cap.eq("reply to request-" + n, ((TextMessage) out).getText(), "reply text");
                Cap.eq("rr-" + n, out.getJMSCorrelationID(), "reply correlation");
            }
            tqc.close();
            ttc.close();
            tq.delete();
            tt.delete();
            rsp.close();
            req.close();
        });
    }
}
