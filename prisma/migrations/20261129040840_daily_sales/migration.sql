-- CreateTable
CREATE TABLE "DailySales" (
    "day" DATE NOT NULL,
    "paidCount" INTEGER NOT NULL DEFAULT 0,
    "gmvFen" BIGINT NOT NULL DEFAULT 0,
    "refundedFen" BIGINT NOT NULL DEFAULT 0,
    "stale" BOOLEAN NOT NULL DEFAULT false,
    "computedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DailySales_pkey" PRIMARY KEY ("day")
);

-- CreateIndex
CREATE INDEX "Refund_succeededAt_idx" ON "Refund"("succeededAt");

-- A change to a closed Asia/Shanghai day's paid orders or successful refunds marks its summary
-- stale. Each WHEN is a comparison evaluated without calling the function, so an order paid today
-- (every settle on time) costs the updating transaction nothing more; only late news of a past day
-- (a notification retried past midnight, a reconciliation repair, a refund reported late) upserts
-- one DailySales row.
CREATE FUNCTION "DailySales_mark_stale"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_at timestamptz;
  new_at timestamptz;
BEGIN
  IF TG_TABLE_NAME = 'Order' THEN
    IF TG_OP <> 'INSERT' THEN old_at := OLD."paidAt"; END IF;
    IF TG_OP <> 'DELETE' THEN new_at := NEW."paidAt"; END IF;
  ELSE
    IF TG_OP <> 'INSERT' THEN old_at := OLD."succeededAt"; END IF;
    IF TG_OP <> 'DELETE' THEN new_at := NEW."succeededAt"; END IF;
  END IF;
  INSERT INTO "DailySales" ("day", "stale")
  SELECT DISTINCT v.day, true
  FROM (VALUES (((old_at AT TIME ZONE 'UTC') + interval '8 hours')::date),
               (((new_at AT TIME ZONE 'UTC') + interval '8 hours')::date)) AS v(day)
  WHERE v.day < ((now() AT TIME ZONE 'UTC') + interval '8 hours')::date
  ON CONFLICT ("day") DO UPDATE SET "stale" = true WHERE NOT "DailySales"."stale";
  RETURN NULL;
END
$$;

CREATE FUNCTION "DailySales_clear"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "DailySales";
  RETURN NULL;
END
$$;

CREATE TRIGGER "Order_DailySales_insert" AFTER INSERT ON "Order" FOR EACH ROW
  WHEN (NEW."paidAt" < date_trunc('day', now(), 'Asia/Shanghai'))
  EXECUTE FUNCTION "DailySales_mark_stale"();
CREATE TRIGGER "Order_DailySales_update" AFTER UPDATE OF "paidAt", "totalFen" ON "Order" FOR EACH ROW
  WHEN ((OLD."paidAt" IS DISTINCT FROM NEW."paidAt" OR OLD."totalFen" <> NEW."totalFen")
    AND (OLD."paidAt" < date_trunc('day', now(), 'Asia/Shanghai') OR NEW."paidAt" < date_trunc('day', now(), 'Asia/Shanghai')))
  EXECUTE FUNCTION "DailySales_mark_stale"();
CREATE TRIGGER "Order_DailySales_delete" AFTER DELETE ON "Order" FOR EACH ROW
  WHEN (OLD."paidAt" < date_trunc('day', now(), 'Asia/Shanghai'))
  EXECUTE FUNCTION "DailySales_mark_stale"();
CREATE TRIGGER "Order_DailySales_truncate" AFTER TRUNCATE ON "Order" FOR EACH STATEMENT
  EXECUTE FUNCTION "DailySales_clear"();

CREATE TRIGGER "Refund_DailySales_insert" AFTER INSERT ON "Refund" FOR EACH ROW
  WHEN (NEW."succeededAt" < date_trunc('day', now(), 'Asia/Shanghai'))
  EXECUTE FUNCTION "DailySales_mark_stale"();
CREATE TRIGGER "Refund_DailySales_update" AFTER UPDATE OF "status", "succeededAt", "amountFen" ON "Refund" FOR EACH ROW
  WHEN ((OLD."status" IS DISTINCT FROM NEW."status" OR OLD."succeededAt" IS DISTINCT FROM NEW."succeededAt"
         OR OLD."amountFen" <> NEW."amountFen")
    AND (OLD."succeededAt" < date_trunc('day', now(), 'Asia/Shanghai') OR NEW."succeededAt" < date_trunc('day', now(), 'Asia/Shanghai')))
  EXECUTE FUNCTION "DailySales_mark_stale"();
CREATE TRIGGER "Refund_DailySales_delete" AFTER DELETE ON "Refund" FOR EACH ROW
  WHEN (OLD."succeededAt" < date_trunc('day', now(), 'Asia/Shanghai'))
  EXECUTE FUNCTION "DailySales_mark_stale"();
CREATE TRIGGER "Refund_DailySales_truncate" AFTER TRUNCATE ON "Refund" FOR EACH STATEMENT
  EXECUTE FUNCTION "DailySales_clear"();
