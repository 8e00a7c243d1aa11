// The review queues' counts shown in the menu, refreshed after every decision. Each count reads
// one page of up to 100 items (the APIs have no count); "99+" is shown above that.
import { reactive } from 'vue';
import * as op from '@shared/api/operator.js';

export const counts = reactive({ persons: 0, organisations: 0, transfers: 0, review: 0, refunds: 0, seals: 0 });

const size = (page) => (page.next ? 100 : page.items.length);

export async function refreshCounts() {
  const [persons, organisations, transfers, review, refunds, seals] = await Promise.all([
    op.personVerifications({ status: 'pending', limit: 100 }),
    op.organisations({ status: 'submitted', limit: 100 }),
    op.payments({ status: 'submitted', limit: 100 }),
    op.orders({ status: 'in_review', limit: 100 }),
    op.orders({ status: 'rejected', limit: 100 }),
    op.seals(),
  ]);
  counts.persons = size(persons);
  counts.organisations = size(organisations);
  counts.transfers = size(transfers);
  counts.review = size(review);
  counts.refunds = size(refunds);
  counts.seals = seals.items.length;
}

export const yuan = (fen) => `¥${(fen / 100).toFixed(2)}`;
