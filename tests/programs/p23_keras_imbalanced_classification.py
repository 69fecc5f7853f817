# Source: https://keras.io/examples/structured_data/imbalanced_classification/
# (https://github.com/keras-team/keras-io/blob/master/examples/structured_data/imbalanced_classification.py)
# "Imbalanced classification: credit card fraud detection", François Chollet.
# Licence: Apache 2.0.
# Changed for the tests: the imports (below), the data (standin.credit_card_fraud():
# 20,000 rows of 30 features, about 0.5 % fraud, in place of reading Kaggle's CSV file
# line by line), epochs 30 -> 5, and the last lines, which report the key figures
# (`history =` keeps fit's result).
import os
if os.environ.get("REFERENCE"):
    import keras
else:
    import fastnn as keras
import numpy as np
from standin import credit_card_fraud, report

all_features, all_targets = credit_card_fraud()

features = np.array(all_features, dtype="float32")
targets = np.array(all_targets, dtype="uint8")
print("features.shape:", features.shape)
print("targets.shape:", targets.shape)

num_val_samples = int(len(features) * 0.2)
train_features = features[:-num_val_samples]
train_targets = targets[:-num_val_samples]
val_features = features[-num_val_samples:]
val_targets = targets[-num_val_samples:]

print("Number of training samples:", len(train_features))
print("Number of validation samples:", len(val_features))

counts = np.bincount(train_targets[:, 0])
print(
    "Number of positive samples in training data: {} ({:.2f}% of total)".format(
        counts[1], 100 * float(counts[1]) / len(train_targets)
    )
)

weight_for_0 = 1.0 / counts[0]
weight_for_1 = 1.0 / counts[1]

mean = np.mean(train_features, axis=0)
train_features -= mean
val_features -= mean
std = np.std(train_features, axis=0)
train_features /= std
val_features /= std

model = keras.Sequential(
    [
        keras.Input(shape=train_features.shape[1:]),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)
model.summary()

metrics = [
    keras.metrics.FalseNegatives(name="fn"),
    keras.metrics.FalsePositives(name="fp"),
    keras.metrics.TrueNegatives(name="tn"),
    keras.metrics.TruePositives(name="tp"),
    keras.metrics.Precision(name="precision"),
    keras.metrics.Recall(name="recall"),
]

model.compile(
    optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=metrics
)

callbacks = [keras.callbacks.ModelCheckpoint("fraud_model_at_epoch_{epoch}.keras")]
class_weight = {0: weight_for_0, 1: weight_for_1}

history = model.fit(
    train_features,
    train_targets,
    batch_size=2048,
    epochs=5,
    verbose=2,
    callbacks=callbacks,
    validation_data=(val_features, val_targets),
    class_weight=class_weight,
)

h = history.history
report(loss=h["loss"][-1], val_recall=h["val_recall"][-1],
       val_fraud_rows=h["val_tp"][-1] + h["val_fn"][-1],
       val_all_rows=h["val_tp"][-1] + h["val_fn"][-1] + h["val_tn"][-1] + h["val_fp"][-1])
