//! A session's acknowledgements (MessageAck, by ActiveMQ's ack types) and
//! local and XA transactions (TransactionInfo).

use broker::{Ack, BrokerError};
use openwire::{ack_type, transaction_type as tx_type, DataStructure, OwString};

use super::{key, Failure, Reply, Session};
use openwire_adapter::{id_string, xid_from_string};

impl Session {
    pub(super) fn ack(&mut self, a: &openwire::MessageAck) -> Result<(), Failure> {
        let k =
            a.consumer_id.as_ref().and_then(key).ok_or_else(|| {
                Failure::new("javax.jms.JMSException", "MessageAck without consumer")
            })?;
        let Some(consumer) = self.consumers.get(&k) else {
            // Acks may trail a consumer's close; ActiveMQ ignores those too.
            return Ok(());
        };
        let last = a.last_message_id.as_ref().map(id_string).ok_or_else(|| {
            Failure::new("javax.jms.JMSException", "MessageAck without message id")
        })?;
        let id = broker::MessageId::from(last);
        let ack = match a.ack_type {
            ack_type::STANDARD => Ack::Cumulative(id),
            ack_type::INDIVIDUAL | ack_type::UNMATCHED | ack_type::EXPIRED => Ack::Individual(id),
            ack_type::DELIVERED | ack_type::REDELIVERED => Ack::Delivered(id),
            ack_type::POISON => Ack::Poison {
                id,
                cause: a.poison_cause.as_ref().map(|t| {
                    format!(
                        "{}: {}",
                        t.class
                            .as_ref()
                            .map(OwString::to_string_lossy)
                            .unwrap_or_default(),
                        t.message
                            .as_ref()
                            .map(OwString::to_string_lossy)
                            .unwrap_or_default()
                    )
                }),
            },
            other => {
                return Err(Failure::new(
                    "javax.jms.JMSException",
                    format!("Unknown ack type {other}"),
                ))
            }
        };
        let tx = self.tx(a.transaction_id.as_ref());
        match self.broker.ack(consumer.id, ack, tx.as_ref()) {
            // A cumulative ack may name messages already acked one by one.
            Ok(()) | Err(BrokerError::UnknownMessage(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub(super) fn transaction(&mut self, t: &openwire::TransactionInfo) -> Result<(), Failure> {
        let conn = self.conn()?;
        if t.kind == tx_type::RECOVER {
            // Prepared transactions are kept by the broker (and its store),
            // so they are listed from any connection and after a restart.
            let ids = self
                .broker
                .prepared()
                .iter()
                .filter_map(|tx| xid_from_string(&tx.0))
                .collect();
            self.reply = Some(Reply::Array(ids));
            return Ok(());
        }
        let tx = self.tx(t.transaction_id.as_ref()).ok_or_else(|| {
            Failure::new(
                "javax.jms.JMSException",
                "TransactionInfo without transaction id",
            )
        })?;
        match t.kind {
            tx_type::BEGIN => self.broker.begin(conn, tx)?,
            tx_type::COMMIT_ONE_PHASE | tx_type::COMMIT_TWO_PHASE => {
                self.broker.commit(conn, &tx)?
            }
            tx_type::ROLLBACK => self.broker.rollback(conn, &tx)?,
            tx_type::PREPARE => {
                if matches!(t.transaction_id, Some(DataStructure::LocalTransactionId(_))) {
                    // As ActiveMQ: only XA transactions have a phase one.
                    return Err(Failure::new(
                        "javax.transaction.xa.XAException",
                        "Prepare not implemented on Local Transactions",
                    ));
                }
                self.broker.prepare(self.conn()?, &tx)?;
                self.reply = Some(Reply::Integer(0));
            }
            // Heuristic outcomes are never taken, so there is nothing to forget.
            tx_type::FORGET => {}
            tx_type::END => {}
            other => {
                return Err(Failure::new(
                    "javax.jms.JMSException",
                    format!("Unknown transaction type {other}"),
                ))
            }
        }
        Ok(())
    }
}
