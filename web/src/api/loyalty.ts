import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, unwrap } from './client.ts';
import type { CartBody, LoyaltySettings, Offer, OfferInput, TierSettings } from './loyalty-types.ts';

// Offers, code batches, wallets and ledgers, tier rules and the loyalty reports (docs/loyalty.md): thin hooks over the
// generated client.

export type * from './loyalty-types.ts';

export const useOffers = () => useQuery({ queryKey: ['offers'], queryFn: async () => (await unwrap(api.GET('/v1/offers'))).offers });

export const useOffer = (id: string | undefined) => useQuery({ queryKey: ['offer', id], queryFn: () => unwrap(api.GET('/v1/offers/{id}', { params: { path: { id: id! } } })), enabled: Boolean(id) });

export const useCodeBatches = (id: string | undefined) =>
  useQuery({ queryKey: ['offer-batches', id], queryFn: async () => (await unwrap(api.GET('/v1/offers/{id}/batches', { params: { path: { id: id! } } }))).batches, enabled: Boolean(id) });

/** Generate a batch of single-use codes; the batches and the cost report refresh. */
export function useCreateBatch(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { count: number; prefix?: string }) => unwrap(api.POST('/v1/offers/{id}/batches', { params: { path: { id } }, body })),
    onSuccess: () => Promise.all([client.invalidateQueries({ queryKey: ['offer-batches', id] }), client.invalidateQueries({ queryKey: ['coupon-cost'] })]),
  });
}

/** Create or change an offer, and pause, resume or end one; the list, the offer and the cost report refresh. */
export function useOfferMutations() {
  const client = useQueryClient();
  const done = (offer: Pick<Offer, 'id'>) =>
    Promise.all([client.invalidateQueries({ queryKey: ['offers'] }), client.invalidateQueries({ queryKey: ['offer', offer.id] }), client.invalidateQueries({ queryKey: ['coupon-cost'] })]);
  return {
    save: useMutation({ mutationFn: (body: OfferInput) => unwrap(api.PUT('/v1/offers/{id}', { params: { path: { id: body.id } }, body })), onSuccess: done }),
    setStatus: useMutation({
      mutationFn: ({ id, verb }: { id: string; verb: 'pause' | 'resume' | 'end' }) => {
        const options = { params: { path: { id } } };
        return unwrap(verb === 'pause' ? api.POST('/v1/offers/{id}/pause', options) : verb === 'resume' ? api.POST('/v1/offers/{id}/resume', options) : api.POST('/v1/offers/{id}/end', options));
      },
      onSuccess: done,
    }),
  };
}

/** Prices a cart with the coupons that apply and says why each other does not (POST /v1/coupons/validate; writes nothing). */
export const useValidateCart = () => useMutation({ mutationFn: (cart: CartBody) => unwrap(api.POST('/v1/coupons/validate', { body: cart })) });

export const useCustomerLoyalty = (id: string | undefined) =>
  useQuery({ queryKey: ['customer-loyalty', id], queryFn: () => unwrap(api.GET('/v1/customers/{id}/loyalty', { params: { path: { id: id! } } })), enabled: Boolean(id) });

// The settings route answers one of three shapes, by the key asked for; the tier settings are the one with tiers.
const isTierSettings = (settings: LoyaltySettings): settings is TierSettings => 'tiers' in settings;

export const useTierSettings = () =>
  useQuery({
    queryKey: ['loyalty-settings', 'tiers'],
    queryFn: async () => {
      const settings = await unwrap(api.GET('/v1/loyalty/settings/{key}', { params: { path: { key: 'tiers' } } }));
      if (!isTierSettings(settings)) throw new ApiError(200, 'unexpected_shape', 'GET /v1/loyalty/settings/tiers answered without tiers', []);
      return settings;
    },
  });

/** Replace the tier rules (PUT /v1/loyalty/settings/tiers, whose body the route declares as any object); the rules and the tier report refresh. */
export function useSaveTierSettings() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: TierSettings) => {
      const saved = await unwrap(api.PUT('/v1/loyalty/settings/{key}', { params: { path: { key: 'tiers' } }, body }));
      if (!isTierSettings(saved)) throw new ApiError(200, 'unexpected_shape', 'PUT /v1/loyalty/settings/tiers answered without tiers', []);
      return saved;
    },
    onSuccess: (saved) => {
      client.setQueryData(['loyalty-settings', 'tiers'], saved);
      return client.invalidateQueries({ queryKey: ['tier-report'] });
    },
  });
}

export const useLiability = () => useQuery({ queryKey: ['points-liability'], queryFn: () => unwrap(api.GET('/v1/reports/loyalty/liability')) });

export const useCouponCost = () => useQuery({ queryKey: ['coupon-cost'], queryFn: () => unwrap(api.GET('/v1/reports/loyalty/coupons')) });

export const useTierReport = (from: string, to: string) =>
  useQuery({ queryKey: ['tier-report', from, to], queryFn: () => unwrap(api.GET('/v1/reports/loyalty/tiers', { params: { query: { from, to } } })) });
