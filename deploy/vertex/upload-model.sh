#!/bin/sh
# Uploads kiln serve as a Vertex AI custom-container model
# (https://cloud.google.com/vertex-ai/docs/predictions/use-custom-container). Vertex AI sets
# AIP_HTTP_PORT, AIP_HEALTH_ROUTE and AIP_PREDICT_ROUTE from the flags below, and kiln serve detects
# them. The run directory is baked into the image at /models/model (the Dockerfile's default); kiln
# does not download gs:// artifacts, so no --artifact-uri (AIP_STORAGE_URI would be a gs:// URI).
# Edit REGION, PROJECT and the image, then: sh deploy/vertex/upload-model.sh
set -eu
REGION=${REGION:-us-central1}
PROJECT=${PROJECT:-my-project}
IMAGE=${IMAGE:-$REGION-docker.pkg.dev/$PROJECT/kiln/kiln:latest}

gcloud ai models upload \
  --region="$REGION" \
  --display-name=kiln-fashion \
  --container-image-uri="$IMAGE" \
  --container-args=serve,/models/model \
  --container-ports=8080 \
  --container-health-route=/health \
  --container-predict-route=/predict

# Then: gcloud ai endpoints create --region="$REGION" --display-name=kiln
#       gcloud ai endpoints deploy-model ENDPOINT_ID --region="$REGION" --model=MODEL_ID \
#           --display-name=kiln-fashion --machine-type=n1-standard-4
#       gcloud ai endpoints predict ENDPOINT_ID --region="$REGION" --json-request=request.json
#       (request.json: {"instances": [[...784 pixels...]]})
