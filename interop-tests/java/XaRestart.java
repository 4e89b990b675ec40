import javax.jms.*;
import javax.transaction.xa.*;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQXAConnectionFactory;

/**
 * Prepared XA transactions across a broker crash (test_persistence.py).
 *
 *   prepare URL QUEUE   seeds "to-consume"; prepares x1 (send "xa-commit"), x2 (send
 *                       "xa-rollback") and x3 (receives "to-consume"), then halts
 *   finish URL QUEUE    recover must list x1..x3; commits x1, rolls back x2 and x3, and
 *                       prints what the queue then holds
 */
public class XaRestart {
  public static void main(String[] a) throws Exception {
    String url = a[1], qn = a[2];
    ActiveMQXAConnectionFactory f = new ActiveMQXAConnectionFactory(url);
    XAConnection xc = f.createXAConnection();
    xc.start();
    XASession xs = xc.createXASession();
    XAResource res = xs.getXAResource();
    Queue q = xs.getSession().createQueue(qn);
    if (a[0].equals("prepare")) {
      Connection c = new ActiveMQConnectionFactory(url).createConnection();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      MessageProducer seed = s.createProducer(q);
      seed.setDeliveryMode(DeliveryMode.PERSISTENT);
      seed.send(s.createTextMessage("to-consume"));
      c.close();
      MessageProducer p = xs.getSession().createProducer(q);
      p.setDeliveryMode(DeliveryMode.PERSISTENT);
      res.start(xid(1), XAResource.TMNOFLAGS);
      p.send(xs.getSession().createTextMessage("xa-commit"));
      res.end(xid(1), XAResource.TMSUCCESS);
      System.out.println("prepare1 " + res.prepare(xid(1)));
      res.start(xid(2), XAResource.TMNOFLAGS);
      p.send(xs.getSession().createTextMessage("xa-rollback"));
      res.end(xid(2), XAResource.TMSUCCESS);
      System.out.println("prepare2 " + res.prepare(xid(2)));
      MessageConsumer mc = xs.getSession().createConsumer(q);
      res.start(xid(3), XAResource.TMNOFLAGS);
      Message m = mc.receive(5000);
      System.out.println("x3 received " + (m == null ? "nothing" : ((TextMessage) m).getText()));
      res.end(xid(3), XAResource.TMSUCCESS);
      System.out.println("prepare3 " + res.prepare(xid(3)));
      System.out.flush();
      // Leave without a goodbye, as a crashing application server would.
      Runtime.getRuntime().halt(0);
    }
    Xid[] found = res.recover(XAResource.TMSTARTRSCAN);
    System.out.println("recovered " + found.length);
    for (Xid x : found) System.out.println("xid " + x.getFormatId() + " " + x.getGlobalTransactionId()[0]);
    res.commit(xid(1), false);
    res.rollback(xid(2));
    res.rollback(xid(3));
    System.out.println("after " + res.recover(XAResource.TMSTARTRSCAN).length);
    Connection c = new ActiveMQConnectionFactory(url).createConnection();
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    MessageConsumer mc = s.createConsumer(q);
    Message m;
    while ((m = mc.receive(1500)) != null) {
      System.out.println("got " + ((TextMessage) m).getText() + " redelivered=" + m.getJMSRedelivered());
    }
    c.close();
    xc.close();
    System.out.println("DONE");
  }

  static Xid xid(final int n) {
    return new Xid() {
      public int getFormatId() { return 78; }
      public byte[] getGlobalTransactionId() { return new byte[]{(byte) n, 9, 9}; }
      public byte[] getBranchQualifier() { return new byte[]{(byte) n}; }
    };
  }
}
