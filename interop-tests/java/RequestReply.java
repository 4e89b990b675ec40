import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/** Request/reply across two connections over a temporary queue: the
 * replier's client only sends to it once the broker announced it on
 * ActiveMQ.Advisory.TempQueue. Then a QueueBrowser. */
public class RequestReply {
  public static void main(String[] a) throws Exception {
    ConnectionFactory f = new ActiveMQConnectionFactory(a[0]);
    Connection requester = f.createConnection(); requester.start();
    Connection replier = f.createConnection(); replier.start();
    Session rs = requester.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Session ps = replier.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue req = rs.createQueue("rr.requests");
    MessageConsumer server = ps.createConsumer(req);
    MessageProducer replies = ps.createProducer(null);
    TemporaryQueue tq = rs.createTemporaryQueue();
    MessageConsumer answers = rs.createConsumer(tq);
    TextMessage q = rs.createTextMessage("ping");
    q.setJMSReplyTo(tq);
    q.setJMSCorrelationID("c-1");
    rs.createProducer(req).send(q);
    Message got = server.receive(5000);
    if (got == null) throw new RuntimeException("no request");
    TextMessage r = ps.createTextMessage("pong");
    r.setJMSCorrelationID(got.getJMSCorrelationID());
    replies.send(got.getJMSReplyTo(), r);
    Message ans = answers.receive(5000);
    if (ans == null) throw new RuntimeException("no reply");
    System.out.println("reply " + ((TextMessage) ans).getText() + " corr=" + ans.getJMSCorrelationID());

    Queue bq = rs.createQueue("rr.browse");
    MessageProducer bp = rs.createProducer(bq);
    for (int i = 0; i < 3; i++) bp.send(rs.createTextMessage("b" + i));
    QueueBrowser browser = rs.createBrowser(bq);
    java.util.Enumeration<?> e = browser.getEnumeration();
    StringBuilder seen = new StringBuilder();
    while (e.hasMoreElements()) seen.append(((TextMessage) e.nextElement()).getText()).append(' ');
    browser.close();
    System.out.println("browsed " + seen.toString().trim());
    MessageConsumer bc = rs.createConsumer(bq);
    int n = 0;
    while (bc.receive(2000) != null) n++;
    System.out.println("consumed after browse " + n);
    requester.close(); replier.close();
    System.out.println("OK");
  }
}
