import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.jms.*;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.apache.activemq.ActiveMQXAConnectionFactory;

/**
 * XA through ActiveMQXAConnectionFactory: two-phase commit, one-phase commit, rollback (before
 * and after prepare), read-only prepare, recover of an in-doubt branch from a second
 * connection, then commit of the recovered branch; forget of a prepared branch.
 */
public class XaTransactions {
    static final class X implements Xid {
        final int fmt; final byte[] g; final byte[] b;
        X(int n) {
            fmt = 0x46524d58; // 'FRMX'
            g = ("ferrum-gtrid-" + Cap.TAG + "-" + n).getBytes(StandardCharsets.US_ASCII);
            b = new byte[] {(byte) n, 0x42};
        }
        public int getFormatId() { return fmt; }
        public byte[] getGlobalTransactionId() { return g; }
        public byte[] getBranchQualifier() { return b; }
        boolean same(Xid o) {
            return o.getFormatId() == fmt && Arrays.equals(o.getGlobalTransactionId(), g) && Arrays.equals(o.getBranchQualifier(), b);
        }
    }

    public static void main(String[] args) {
        Cap.main("XaTransactions", args, () -> {
            ActiveMQXAConnectionFactory f = new ActiveMQXAConnectionFactory(Cap.URL);
            f.setTrustAllPackages(true);
            XAConnection c = f.createXAConnection();
            c.start();
            XASession xs = c.createXASession();
            XAResource r = xs.getXAResource();
            Session s = xs.getSession();
            Queue q = s.createQueue(Cap.name("xa"));
            MessageProducer p = s.createProducer(q);
            MessageConsumer mc = s.createConsumer(q);

            // 1. two-phase commit of a send
            X x1 = new X(1);
            r.start(x1, XAResource.TMNOFLAGS);
            p.send(s.createTextMessage("xa-2pc"));
            r.end(x1, XAResource.TMSUCCESS);
            Cap.eq(XAResource.XA_OK, r.prepare(x1), "prepare x1");
            r.commit(x1, false);

            // 2. one-phase commit of a receive
            X x2 = new X(2);
            r.start(x2, XAResource.TMNOFLAGS);
            Cap.expectText(mc, "xa-2pc");
            r.end(x2, XAResource.TMSUCCESS);
            r.commit(x2, true);
            mc.close(); // the remaining checks use a plain consumer on a second connection

            // 3. rollback before prepare
            X x3 = new X(3);
            r.start(x3, XAResource.TMNOFLAGS);
            p.send(s.createTextMessage("xa-rolled-back"));
            r.end(x3, XAResource.TMSUCCESS);
            r.rollback(x3);

            // 4. rollback after prepare
            X x4 = new X(4);
            r.start(x4, XAResource.TMNOFLAGS);
            p.send(s.createTextMessage("xa-prepared-rolled-back"));
            r.end(x4, XAResource.TMSUCCESS);
            Cap.eq(XAResource.XA_OK, r.prepare(x4), "prepare x4");
            r.rollback(x4);

            // 5. read-only branch
            X x5 = new X(5);
            r.start(x5, XAResource.TMNOFLAGS);
            r.end(x5, XAResource.TMSUCCESS);
            Cap.eq(XAResource.XA_RDONLY, r.prepare(x5), "prepare x5 read-only");

            // 6. in-doubt branch, recovered from a second connection and committed there
            X x6 = new X(6);
            r.start(x6, XAResource.TMNOFLAGS);
            p.send(s.createTextMessage("xa-recovered"));
            r.end(x6, XAResource.TMSUCCESS);
            Cap.eq(XAResource.XA_OK, r.prepare(x6), "prepare x6");

            XAConnection c2 = f.createXAConnection();
            c2.start();
            XASession xs2 = c2.createXASession();
            XAResource r2 = xs2.getXAResource();
            Xid[] inDoubt = r2.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN);
            boolean found = false;
            for (Xid x : inDoubt) found |= x6.same(x);
            Cap.check(found, "recover must list x6 (got " + inDoubt.length + " xids)");
            r2.commit(x6, false);

            // 7. forget of a prepared branch (the broker's answer is recorded whatever it is)
            X x7 = new X(7);
            r.start(x7, XAResource.TMNOFLAGS);
            p.send(s.createTextMessage("xa-forgotten"));
            r.end(x7, XAResource.TMSUCCESS);
            r.prepare(x7);
            try {
                r2.forget(x7);
                System.out.println("forget x7: ok");
            } catch (XAException e) {
                System.out.println("forget x7: XAException errorCode=" + e.errorCode);
            }
            try {
                r2.rollback(x7);
            } catch (XAException e) {
                System.out.println("rollback x7 after forget: XAException errorCode=" + e.errorCode);
            }

            // verify with a plain consumer: only the recovered message is left
            // an XAConnection only makes XA sessions: verify with an ordinary connection
            Connection c3 = Cap.factory().createConnection();
            c3.start();
            Session plain = c3.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer pc = plain.createConsumer(q);
            Cap.expectText(pc, "xa-recovered");
            Cap.expectNone(pc, 300, "rolled back XA sends");
            c3.close();
            c2.close();
            c.close();
        });
    }
}
