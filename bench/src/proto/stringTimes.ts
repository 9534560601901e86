/** Core's page schema with the two time fields left as strings: what the DateTime fields cost (micro only). */
import { FaceCollection } from "@effect-wechatpay/core"
import { Schema } from "effect"

class FaceCollectionStringTimes extends Schema.Class<FaceCollectionStringTimes>("FaceCollectionStringTimes")({
  collectionId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("collection_id")),
  userId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("use_id")),
  organizationId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("organization_id")),
  state: Schema.propertySignature(FaceCollection.CollectionState).pipe(Schema.fromKey("collection_state")),
  registerPhotoUploadTime: Schema.optional(Schema.String).pipe(Schema.fromKey("register_photo_upload_time")),
  confirmTime: Schema.optional(Schema.String).pipe(Schema.fromKey("confirm_time"))
}) {}

export const FaceCollectionPageStringTimes = Schema.Struct({ face_collections: Schema.Array(FaceCollectionStringTimes) })
